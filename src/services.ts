/**
 * The wiring of a natter node: every service built from explicit
 * components, bottom-up, so each gets only parts that already exist — no
 * callback reaches a service before it is assigned. The one cycle in the data
 * (a mailbox fetch feeds the inbound pipeline, whose receipts go out through
 * mailboxes) is cut by splitting the mailbox into a client (deposit, fetch)
 * built first and a service (serving, fetch schedule) built after the
 * messenger.
 *
 * @module
 */
import { createRateLimiter } from './abuse/index.js'
import { createBlocklist } from './blocklist/index.js'
import { createContacts } from './contacts/index.js'
import { assertNotHeld } from './contacts/key-change.js'
import { createDmSender } from './dm/sender.js'
import { dmVersionSettings, envelopeSigner, signedDeposits } from './dm/unsigned.js'
import { createMailboxClient } from './mailbox/client.js'
import { createMailboxService } from './mailbox/service.js'
import { createMessages } from './messaging/api.js'
import { storedPayload } from './messaging/inbound/dedupe.js'
import { createMessenger } from './messaging/messenger.js'
import { ATTEMPT_TIMEOUT_MS } from './messaging/constants.js'
import { createNetworkApi } from './network/api.js'
import { createBootstrapper, parsePeerAddress } from './network/connectivity.js'
import { createPeerBook, rememberedBootstrap } from './network/peer-book.js'
import { createPresence } from './presence/index.js'
import { presenceKeys } from './presence/keys.js'
import { createControlChannel } from './messaging/control.js'
import { guard } from './util/guard.js'
import { createGroups } from './groups/service.js'
import { createRequests } from './requests/index.js'
import { createSessionManager } from './sessions/manager.js'
import type { Blocklist } from './blocklist/index.js'
import type { Contacts } from './contacts/index.js'
import type { Groups } from './groups/api.js'
import type { Ed25519Peer } from './crypto/peer.js'
import type { NatterEvents } from './events.js'
import type { NatterInit } from './init.js'
import type { MailboxService } from './mailbox/service.js'
import type { Messages } from './messaging/api.js'
import type { NatterLibp2p } from './network/libp2p.js'
import type { NetworkApi } from './network/api.js'
import type { PresenceApi } from './presence/index.js'
import type { Requests } from './requests/index.js'
import type { SessionManager } from './sessions/manager.js'
import type { Store } from './store/index.js'
import type { StorageHealth, StorageStatus } from './store/health.js'
import type { Startable } from './util/startable.js'
import type { ComponentLogger, Ed25519PrivateKey } from '@libp2p/interface'

/** What every service of a node is built from. */
export interface NatterComponents {
  privateKey: Ed25519PrivateKey
  self: Ed25519Peer
  store: Store
  libp2p: NatterLibp2p
  logger: ComponentLogger
  /** Whether the store takes writes (read-only after a disk fault). */
  health: StorageHealth
}

/** Mailbox operations: this node's own mail held by others, and what it holds for others. */
export interface MailboxApi {
  /** Fetches messages held for this node by mailbox peers now (it also happens on connect and periodically); resolves with how many. */
  fetch(options?: { signal?: AbortSignal }): Promise<number>
  /** What this node holds as a mailbox for others (PROTOCOL.md §9): envelopes and bytes for one recipient (peer id), or in total. */
  usage(recipient?: string): { envelopes: number, bytes: number }
}

/** The store's health. */
export interface StorageApi {
  /** Whether the store takes writes: `ok`, or `read-only` (with the reason) after the disk refused a write, until a probe write succeeds again. */
  status(): StorageStatus
}

/** The services of a node, as {@link createServices} builds them. */
export interface NatterServiceSet {
  contacts: Contacts
  presence: PresenceApi
  messages: Messages
  requests: Requests
  blocklist: Blocklist
  mailbox: MailboxApi
  storage: StorageApi
  /** Tells the services the store turned read-only or writable again. */
  onStorageChange(status: StorageStatus): void
  network: NetworkApi
  sessions: SessionManager
  /** Group conversations (issue 16). */
  groups: Groups
  /** Started in this order, stopped in reverse. */
  startables: Startable[]
}

/** Emits one of the node's public events. */
export type Emit = <K extends keyof NatterEvents>(type: K, detail: NatterEvents[K]['detail']) => void

/** Builds every service of a node over `components`. */
export function createServices (components: NatterComponents, init: NatterInit, emit: Emit, assertRunning: () => void): NatterServiceSet {
  const { privateKey: key, self, store, libp2p, logger, health } = components
  const rateLimiter = createRateLimiter({ limits: init.rateLimits })
  const isBlocked = (peer: string): boolean => store.blocklist.isBlocked(peer)
  const isTrusted = (peer: string): boolean => store.requests.isAccepted(peer)

  // built bottom-up: every service gets only parts that already exist
  const bootstrapper = createBootstrapper({ libp2p, logger }, {
    intervalMs: init.bootstrapIntervalMs,
    addresses: [...(init.bootstrap ?? []), ...rememberedBootstrap(store.settings)].map(parsePeerAddress)
  })
  const peers = createPeerBook({ settings: store.settings, bootstrapper, libp2p, log: logger.forComponent('natter:peers') })
  // 1.3 (issue 15, PROTOCOL.md §5.2): unsigned envelopes in established sessions, negotiated per DM stream
  const dm = dmVersionSettings(init.dmVersion)
  const sessions = createSessionManager({
    key,
    self,
    store,
    dht: libp2p.services.dht,
    logger,
    events: libp2p,
    opened: storedPayload(store.messages),
    hold: (recipient) => { assertNotHeld(store.contacts, recipient) }
  }, { bundleTimeoutMs: init.bundleTimeoutMs, sealedOnly: init.forwardSecrecy === false, unsignedInSessions: dm.unsignedInSessions })
  const dmSender = createDmSender({ libp2p, logger, sign: envelopeSigner(key), protocols: dm.protocols })
  const mailboxClient = createMailboxClient({ libp2p, key, self, log: logger.forComponent('natter:mailbox:client') }, { replication: init.mailboxReplication })
  // 1.3 (§5.2): a mailbox peer verifies what it holds, so deposits are signed on the way out
  const depositor = signedDeposits(mailboxClient, key)
  // presence v2 (issue 13): the generic control channel, over the same sessions, sender and mailboxes as messages
  const control = createControlChannel({ self, sessions, sender: createDmSender({ libp2p, logger, sign: envelopeSigner(key), protocols: dm.protocols }), mailboxes: depositor, settings: store.settings, pending: store.controlPending, events: libp2p, logger })
  // issue 16 (groups): group conversations over the control channel and presence v2's unsigned gossipsub
  let presenceOf: (peer: string) => string | undefined = () => undefined
  const groups = createGroups({
    key,
    self,
    store,
    control,
    pubsub: libp2p.services.presence,
    libp2p,
    logger,
    presenceOf: (peer) => presenceOf(peer),
    events: {
      message: (m) => { emit('group:message', m) },
      changed: (c) => { emit('group:changed', c) },
      state: (s) => { emit('group:message:state', s) }
    }
  }, { readReceipts: init.readReceipts })
  const messenger = createMessenger({
    self,
    messages: store.messages,
    outbox: store.outbox,
    requests: { isAccepted: (peer) => store.requests.isAccepted(peer), usage: (peer) => store.requests.usage(peer) },
    // a member of a group this node is in delivers control payloads (sender keys, ops) without a stranger's
    // proof-of-work; its texts still go to the requests inbox, its size checks included (PROTOCOL.md §13.9)
    skipsStamp: (peer) => groups.isCoMember(peer),
    goneMessages: store.goneMessages,
    stampReplay: store.stampReplay,
    transaction: (fn) => store.transaction(fn),
    // perf: the hot path's writes of one turn share a commit (src/store/group-commit.ts)
    group: (fn) => store.group(fn),
    committed: async () => store.committed(),
    sessions,
    sender: dmSender,
    control: control.receive,
    // groups2 (PROTOCOL.md §4.4.1): whom we refused as a stranger is asked to resend once we know it
    refusedStranger: (peer) => { control.refusedStranger(peer) },
    mailboxes: depositor,
    libp2p,
    logger,
    events: {
      message: (m) => { emit('message', m) },
      request: (m) => { emit('request', m) },
      state: (change) => { emit('message:state', change) }
    }
  }, {
    attemptTimeoutMs: init.sendTimeoutMs,
    dmProtocols: dm.protocols,
    retryInitialMs: init.retryInitialMs,
    retryMaxMs: init.retryMaxMs,
    expireAfterMs: init.mailboxTtlMs,
    readReceipts: init.readReceipts,
    isBlocked,
    rateLimiter,
    powDifficulty: init.powDifficulty,
    rateLimitPauseMs: init.rateLimitPauseMs,
    storageUnavailable: () => health.retryAfterMs(),
    requestLimits: init.requestLimits
  })
  const mailboxes: MailboxService = createMailboxService({
    libp2p, self, mailbox: store.mailbox, stampReplay: store.stampReplay, client: mailboxClient, receive: messenger.receiveFromMailbox, logger
  }, {
    trusted: isTrusted,
    powDifficulty: init.powDifficulty,
    serve: init.mailbox,
    ttlMs: init.mailboxTtlMs,
    fetchIntervalMs: init.mailboxFetchIntervalMs,
    isBlocked,
    admit: (peer) => { rateLimiter.consume(peer, 'mailbox', { isContact: isTrusted(peer) }) }
  })
  const contacts = createContacts({
    self,
    store,
    peers,
    messenger,
    logger,
    events: { keyChanged: (change) => { emit('contact:key-changed', change) }, state: (change) => { emit('message:state', change) } }
  })
  const resolve = contacts.resolve
  const presence = createPresence({
    v2: {
      pubsub: libp2p.services.presence,
      libp2p,
      keys: presenceKeys(store.settings),
      control,
      contacts: () => store.contacts.list().map(c => c.peerId).filter(p => !isBlocked(p)),
      isContact: (peer) => store.contacts.get(peer) != null && !isBlocked(peer)
    },
    settings: store.settings,
    pubsub: libp2p.services.pubsub,
    key,
    peerId: libp2p.peerId,
    logger,
    cache: store.presence,
    // presence is kept, and persisted, for contacts only; others' sit in the service's bounded cache (issue 9)
    isContact: (peer) => store.contacts.get(peer) != null,
    isBlocked,
    isTrusted,
    rateLimiter,
    resolve,
    onChange: (p) => {
      if (p.status !== 'offline') {
        messenger.nudge(p.peerId)
      }
      emit('presence', p)
    }
  }, { ttlMs: init.presenceTtlMs, republishIntervalMs: init.presenceRepublishMs, visibility: init.presenceVisibility })
  presenceOf = (peer) => presence.get(peer)?.status
  // groups2 (PROTOCOL.md §4.4.1): a stranger we refused that became a contact (or accepted conversation) is asked to resend
  const recheckRefused = guard(logger.forComponent('natter:control'), 'refused strangers re-check', (): void => {
    for (const peer of control.refusedStrangers()) if (isTrusted(peer)) control.known(peer)
  })
  const messages = createMessages({ self, messages: store.messages, messenger, resolve, assertRunning })
  return {
    // presence v2 re-reads the contact list after each change (hands keys over, rotates on removal)
    contacts: withAfterChange(withPresenceSync(contacts, presence), recheckRefused),
    presence,
    // the read-receipts switch covers group messages too
    messages: { ...messages, setReadReceipts: (on) => { messages.setReadReceipts(on); groups.setReadReceipts(on) } },
    requests: withAfterChange(createRequests({ requests: store.requests, resolve }), recheckRefused),
    blocklist: withPresenceSync(createBlocklist({ blocklist: store.blocklist, resolve }), presence),
    mailbox: {
      fetch: async (options = {}) => { assertRunning(); return mailboxes.fetchOwn(options) },
      usage: (recipient) => recipient != null ? store.mailbox.usageOf(recipient) : { envelopes: store.mailbox.usage().envelopes, bytes: store.mailbox.usage().bytes }
    },
    storage: { status: () => health.status() },
    onStorageChange: (status) => {
      const log = logger.forComponent('natter')
      if (status.state === 'read-only') {
        log.error('STORAGE READ-ONLY: the store cannot take writes (%s); messages are refused with "try later" until space returns', status.reason)
      } else {
        log.error('storage writable again: accepting messages')
        // whatever waited on our own disk goes out now
        messenger.retryNow()
      }
      emit('storage', status)
    },
    network: createNetworkApi({ libp2p, peers, resolve, assertRunning }, { timeoutMs: init.sendTimeoutMs ?? ATTEMPT_TIMEOUT_MS }),
    sessions,
    groups,
    // started in this order, stopped in reverse
    startables: [sessions, mailboxes, messenger, { start: () => { control.start() }, stop: async () => { await control.stop() } }, presence, groups, bootstrapper]
  }
}

/**
 * `api` whose every changing method (not get/list/resolve/has/is) runs `after` once it is done, also when it
 * fails: presence re-reads the contact list, the control channel re-checks the refused strangers (§4.4.1).
 */
function withAfterChange<T extends object> (api: T, after: () => void): T {
  const wrapped: Record<string, unknown> = {}
  for (const [name, fn] of Object.entries(api)) {
    wrapped[name] = typeof fn !== 'function' || /^(get|list|resolve|has|is)/.test(name)
      ? fn
      : (...args: unknown[]) => {
          const result = (fn as (...a: unknown[]) => unknown).apply(api, args)
          if (result instanceof Promise) return result.finally(after)
          after()
          return result
        }
  }
  return wrapped as T
}

/** `api` whose every changing method also tells presence to re-read the contact list (a cheap no-op when nothing changed). */
function withPresenceSync<T extends object> (api: T, presence: Pick<PresenceApi, 'syncContacts'>): T {
  return withAfterChange(api, () => { presence.syncContacts() })
}
