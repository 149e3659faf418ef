/**
 * The natter node: composes the services (sessions, mailbox, messenger,
 * presence, contacts, requests, block list, bootstrap) over explicit
 * components, starts and stops them in order, and exposes them as a grouped,
 * typed, evented API. Each service lives in its own folder; this file only
 * wires them.
 *
 * @module
 */
import { defaultLogger } from '@libp2p/logger'
import { TypedEventEmitter } from 'main-event'
import { parsePeerId } from './crypto/peer.js'
import { InvalidArgumentError, NotStartedError } from './base-errors.js'
import { loadOrCreateIdentity } from './keys/identity.js'
import { encodeInvite } from './invite.js'
import { createBackup } from './keys/backup.js'
import { checkLibp2p } from './network/check.js'
import { protectedPeers } from './network/peer-book.js'
import { parsePeerAddress } from './network/connectivity.js'
import { createMailboxTriggers } from './mailbox/triggers.js'
import { createNetwork } from './network/libp2p.js'
import { advertisedAddresses, DEFAULT_NETWORK_MODE, reachabilityOf } from './network/reachability.js'
import { natterServicePolicies } from './policies.js'
import { ensurePromiseWithResolvers } from './polyfill.js'
import { createServices } from './services.js'
import { openNodeStorage } from './storage.js'
import { lostStoreCheck } from './store/lost.js'
import { startAll, stopAll } from './util/startable.js'
import type { Blocklist } from './blocklist/index.js'
import type { Contacts } from './contacts/index.js'
import type { Groups } from './groups/api.js'
import type { NatterEvents } from './events.js'
import type { NatterInit } from './init.js'
import type { Messages, SendOptions, SentMessage } from './messaging/api.js'
import type { NetworkApi } from './network/api.js'
import type { NatterLibp2p } from './network/libp2p.js'
import type { NetworkMode, Reachability } from './network/reachability.js'
import type { PresenceApi } from './presence/index.js'
import type { Requests } from './requests/index.js'
import type { MailboxApi, NatterComponents, StorageApi } from './services.js'
import type { StorageStatus } from './store/health.js'
import type { SessionManager } from './sessions/manager.js'
import type { Startable } from './util/startable.js'
import type { Logger } from '@libp2p/interface'

export type { NatterComponents, MailboxApi, StorageApi } from './services.js'
export type { StorageStatus } from './store/health.js'
export type { RequestLimits } from './messaging/inbound-limits.js'

export type { NatterInit } from './init.js'
export type { NatterEvents } from './events.js'
export type { IncomingMessage, MessageStateChange } from './messaging/types.js'

/**
 * A running natter node. Create one with {@link createNatter}.
 *
 * @example
 * ```ts
 * const natter = await createNatter({ dataDir: './alice' })
 * natter.addEventListener('message', (e) => console.log(e.detail.from, e.detail.text))
 * await natter.send(bobPeerId, 'hello')
 * ```
 */
export class Natter extends TypedEventEmitter<NatterEvents> {
  /** This node's peer id (base58btc). */
  readonly peerId: string
  /** Contacts (petnames for peer ids), their keys and safety numbers. */
  readonly contacts: Contacts
  /** Conversations: send, history, read state. */
  readonly messages: Messages
  /** Strangers' messages awaiting acceptance. */
  readonly requests: Requests
  /** Blocked peers. */
  readonly blocklist: Blocklist
  /** This node's presence and that of the peers it hears from. */
  readonly presence: PresenceApi
  /** This node's own mail held by mailbox peers, and what it holds for others. */
  readonly mailbox: MailboxApi
  /** Whether the store takes writes. */
  readonly storage: StorageApi
  /** Group conversations (issue 16): create, add, remove, leave, send, history. */
  readonly groups: Groups
  /** {@inheritDoc NetworkApi.connect} */
  readonly connect: NetworkApi['connect']
  /** {@inheritDoc NetworkApi.ping} */
  readonly ping: NetworkApi['ping']
  private readonly components: NatterComponents
  private readonly log: Logger
  private readonly sessions: SessionManager
  /** Started in this order, stopped in reverse. */
  private readonly services: Startable[]
  private readonly owns: { libp2p: boolean, store: boolean }
  /** @internal the store monitor's change, told to the services and the host. */
  readonly onStorageChange: (status: StorageStatus) => void
  private running = false

  /** @internal use {@link createNatter} */
  constructor (components: NatterComponents, init: NatterInit, owns: { libp2p: boolean, store: boolean }) {
    super()
    const { self, logger } = components
    this.components = components
    this.owns = owns
    this.log = logger.forComponent('natter')
    this.peerId = self.peerId.toString()
    this.network = init.network ?? DEFAULT_NETWORK_MODE
    const services = createServices(components, init, this.safeDispatch.bind(this), () => { this.assertRunning() })
    this.contacts = services.contacts
    this.messages = services.messages
    this.requests = services.requests
    this.blocklist = services.blocklist
    this.presence = services.presence
    this.mailbox = services.mailbox
    this.storage = services.storage
    this.groups = services.groups
    this.onStorageChange = services.onStorageChange
    this.sessions = services.sessions
    this.connect = services.network.connect
    this.ping = services.network.ping
    this.services = services.startables
    // issue 12 (nat): a contact coming online may have left mail with mailbox peers: fetch it now
    const triggers = createMailboxTriggers({
      fetch: async () => this.running ? services.mailbox.fetch() : 0,
      isContact: (peer) => components.store.contacts.get(peer) != null,
      log: logger.forComponent('natter:mailbox:triggers')
    })
    this.addEventListener('presence', (e) => { triggers.onPresence(e.detail) })
  }

  /**
   * Multiaddrs others can reach this node on, each ending in `/p2p/<peerId>`:
   * on the internet its confirmed public addresses and its relayed
   * (`/p2p-circuit`) ones, never loopback or LAN addresses; in local mode all.
   */
  get addresses (): string[] {
    return advertisedAddresses(this.components.libp2p.getMultiaddrs(), this.network).map(ma => {
      const s = ma.toString()
      return s.endsWith(`/p2p/${this.peerId}`) ? s : `${s}/p2p/${this.peerId}`
    })
  }

  /** How others can reach this node: directly (`public`), only through a relay (`relayed`), not at all (`none`), or `local` mode. */
  get reachability (): Reachability {
    return reachabilityOf(this.components.libp2p.getMultiaddrs(), this.network)
  }

  /** Where this node runs (`NatterInit.network`). */
  readonly network: NetworkMode
  /** Peer ids this node has an open connection to. */
  get connectedPeers (): string[] {
    return [...new Set(this.components.libp2p.getConnections().map(c => c.remotePeer.toString()))]
  }

  /** @internal starts the node (libp2p first, unless the embedder runs it); {@link createNatter} calls it. */
  async start (): Promise<void> {
    if (this.running) {
      return
    }
    const { libp2p } = this.components
    if (libp2p.status !== 'started') {
      await libp2p.start()
    }
    try {
      checkLibp2p(libp2p)
      await startAll(this.services)
      this.running = true
    } catch (err) {
      await this.release()
      throw err
    }
  }

  /**
   * Announces `offline`, finishes in-flight work, closes streams,
   * connections and the store (those natter created), and frees ports and
   * timers so the process can exit. Idempotent.
   */
  async stop (): Promise<void> {
    if (!this.running) {
      return
    }
    this.running = false
    await stopAll(this.services, this.log)
    await this.release()
  }

  /** Shorthand for {@link Messages.send}. */
  async send (to: string, text: string, options: SendOptions = {}): Promise<SentMessage> {
    return this.messages.send(to, text, options)
  }

  /** An invite string for this node: its peer id and addresses (and a suggested name). */
  invite (name = ''): string {
    return encodeInvite({ peerId: this.peerId, addresses: this.addresses, name })
  }

  /**
   * An encrypted backup of this node's identity key (and, unless
   * `contacts: false`, its contact list) as one line of text, sealed under
   * `passphrase` (scrypt, XChaCha20-Poly1305). Restore it with `importIdentity`.
   * Ratchet sessions are not included: peers start new ones.
   */
  async exportIdentity (passphrase: string, options: { contacts?: boolean } = {}): Promise<string> {
    const contacts = options.contacts === false
      ? []
      : this.contacts.list().map(c => ({ name: c.name, peerId: c.peerId, verified: c.verified, addresses: [...c.addresses] }))
    return createBackup(this.components.privateKey, passphrase, { contacts })
  }

  /** Publishes this node's prekey bundle to the DHT now (it also happens on start and periodically); resolves with how many peers stored it. */
  async publishPrekeys (options: { signal?: AbortSignal } = {}): Promise<number> {
    this.assertRunning()
    return this.sessions.publishBundle(options)
  }

  /** Stops and closes what natter created (an embedder's libp2p node and store stay theirs). */
  private async release (): Promise<void> {
    if (this.owns.libp2p) {
      await Promise.resolve(this.components.libp2p.stop()).catch(err => { this.log.error('libp2p stop: %s', (err as Error).message) })
    }
    this.components.health.stop()
    if (this.owns.store) {
      this.components.store.close()
    }
  }

  private safeDispatch<K extends keyof NatterEvents> (type: K, detail: NatterEvents[K]['detail']): void {
    try {
      this.dispatchEvent(new CustomEvent(type, { detail }))
    } catch (err) {
      this.log.error('a %s listener threw: %s', type, (err as Error).message)
    }
  }

  private assertRunning (): void {
    if (!this.running) {
      throw new NotStartedError()
    }
  }
}

/**
 * Creates and starts a natter node: loads (or creates) the identity and the
 * store in `dataDir` (or takes the ones given), creates libp2p (or takes the
 * one given), joins the presence topic, dials the bootstrap peers and
 * resumes delivery of any pending messages.
 *
 * @example
 * ```ts
 * import { createNatter } from 'natter'
 *
 * const natter = await createNatter({
 *   dataDir: './alice',
 *   listen: ['/ip4/127.0.0.1/tcp/0'],
 *   bootstrap: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…']
 * })
 * natter.addEventListener('message', (e) => console.log(`${e.detail.from}: ${e.detail.text}`))
 * await natter.presence.set({ status: 'away', note: 'lunch' })
 * const sent = await natter.send(peerId, 'hello')
 * await natter.stop()
 * ```
 */
export async function createNatter (init: NatterInit): Promise<Natter> {
  const dataDir = init?.dataDir
  if ((dataDir == null || dataDir === '') && (init?.privateKey == null || init.store == null)) {
    throw new InvalidArgumentError('createNatter needs a dataDir (or both a privateKey and a store)')
  }
  for (const address of init.bootstrap ?? []) {
    parsePeerAddress(address)
  }
  ensurePromiseWithResolvers()
  const logger = init.logger ?? defaultLogger()
  // an existing identity whose store is gone is an error, not a first start (issue 9)
  const lost = init.store == null && dataDir != null && dataDir !== '' ? lostStoreCheck(dataDir, init.newStore === true) : undefined
  const privateKey = init.privateKey ?? await loadOrCreateIdentity(dataDir as string, { passphrase: init.passphrase })
  lost?.check()
  const self = parsePeerId(privateKey.publicKey.toString())
  if (init.libp2p != null) {
    checkLibp2p(init.libp2p)
    if (!init.libp2p.peerId.equals(self.peerId)) {
      throw new InvalidArgumentError(`the libp2p node runs as ${init.libp2p.peerId.toString()}, not as natter's identity ${self.peerId.toString()}`)
    }
  }
  const { store, health, tell } = openNodeStorage(init, logger)
  try {
    lost?.mark()
  } catch (err) {
    health.stop()
    store.close()
    throw err
  }
  let libp2p: NatterLibp2p
  try {
    libp2p = init.libp2p ?? await createNetwork({
      privateKey,
      listen: init.listen,
      announce: init.announce,
      mdns: init.mdns,
      network: init.network,
      relayServer: init.relayServer,
      upnp: init.upnp,
      dhtAddresses: init.dhtAddresses,
      maxConnections: init.maxConnections,
      connectionLimits: init.connectionLimits,
      isProtected: protectedPeers(store, init),
      logger,
      ...natterServicePolicies()
    })
  } catch (err) {
    health.stop()
    if (init.store == null) {
      store.close()
    }
    throw err
  }
  const natter = new Natter({ privateKey, self, store, libp2p, logger, health }, init, { libp2p: init.libp2p == null, store: init.store == null })
  tell(natter.onStorageChange)
  await natter.start()
  return natter
}


