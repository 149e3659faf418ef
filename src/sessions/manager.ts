/**
 * The session manager: seals outgoing payloads in forward-secret Double
 * Ratchet sessions (envelope scheme RATCHET, PROTOCOL.md §6) and opens
 * incoming ones, keeping the session state encrypted in the store. A first
 * message to a peer is sealed from its prekey bundle, found in the DHT, so the
 * peer may be offline; with no bundle to be found it falls back to SEALED.
 *
 * Every change to a peer's sessions happens under a per-peer lock and is
 * written in one store transaction before the envelope leaves (sealing) or the
 * plaintext is released (opening).
 *
 * @module
 */
import { trace } from '../util/trace.js'
import { MAINTENANCE_INTERVAL_MS, MAX_SESSIONS_PER_PEER, RECENT_OPENED_LIMIT, SESSION_CACHE_PEERS } from './constants.js'
import { createSessionCache } from './session-cache.js'
import { createBundleCache } from './bundle-cache.js'
import { repeatingTask } from '@libp2p/utils'
import { randomBytes } from '@noble/hashes/utils.js'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import {
  ENVELOPE_VERSION, EnvelopeBody, MESSAGE_ID_BYTES, Payload, SignedEnvelope, decodePayload, encodeUnsignedEnvelope, envelopeAssociatedData, openSealed, sealEnvelope, signEnvelope
} from '../crypto/envelope.js'
import { peerFromBytes } from '../crypto/peer.js'
import { DuplicateMessageError, acceptSession, decodeRatchetMessage, encodeRatchetMessage, initialHeadersEqual, startSession } from '../crypto/ratchet/index.js'
import { InvalidMessageError } from '../base-errors.js'
import { guard } from '../util/guard.js'
import { createSecretBox } from '../keys/data-key.js'
import { loadPrekeys } from './prekey-keeper.js'
import { createBundlePublisher } from './publisher.js'
import { addAccepted, decodeSessionSet, encodeSessionSet, findByInitialHeader, promote, sendingEntry, sendingRatchetKey, trim } from './session-set.js'
import type { PrekeyKeeper, PrekeyKeeperInit } from './prekey-keeper.js'
import type { BundlePublisherInit, PrekeyDht } from './publisher.js'
import type { SessionEntry } from './session-set.js'
import type { VerifiedEnvelope } from '../crypto/envelope.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { IdentityKeyPair, RatchetMessage } from '../crypto/ratchet/index.js'
import type { Store } from '../store/index.js'
import type { AbortOptions, ComponentLogger, Ed25519PrivateKey, Libp2p } from '@libp2p/interface'

const SESSIONS_LABEL = 'ratchet sessions'
const EMPTY = new Uint8Array(0)

/** What the session manager needs. */
export interface SessionManagerComponents {
  /** This node's identity key. */
  key: Ed25519PrivateKey
  self: Ed25519Peer
  store: Store
  /** Where prekey bundles are published and found. */
  dht: PrekeyDht
  logger: ComponentLogger
  /**
   * The payload of a message from `peer` this node already stored, so that a
   * retransmission of an envelope whose keys are spent is answered, not
   * refused. The session manager keeps no message history of its own.
   * @default none
   */
  opened?(peer: string, id: string): Payload | undefined
  /**
   * Throws (`IdentityKeyChangedError`) when messages to `recipient` must be
   * held: the contacts' policy on identity-key changes (PROTOCOL.md §6.9).
   * @default nothing is held
   */
  hold?(recipient: Ed25519Peer): void
  /** Connection events: the first peer to connect triggers publication of the bundle. @default none (call `peerConnected`) */
  events?: Pick<Libp2p, 'addEventListener' | 'removeEventListener'>
}

/** Options of {@link createSessionManager}; see also the prekey and publisher options. */
export interface SessionManagerInit extends PrekeyKeeperInit, BundlePublisherInit {
  /** Time allowed to find a recipient's prekey bundle before sealing without a session, in ms. @default 10_000 */
  bundleTimeoutMs?: number
  /** How long a fetched bundle is remembered (it is only needed to start a session), in ms. @default 60_000 */
  bundleCacheMs?: number
  /** How long the absence of a bundle is remembered (meanwhile payloads to that peer are sealed SEALED), in ms. @default 10_000 */
  bundleMissCacheMs?: number
  /**
   * Seal every payload SEALED, never in a session (benchmarks and interop
   * tests only: SEALED is not forward secret). Incoming RATCHET envelopes
   * are still opened. @default false
   */
  sealedOnly?: boolean
  /** Sessions kept per peer (the least preferred are dropped). @default 4 */
  maxSessionsPerPeer?: number
  /** How often prekeys are checked for rotation and replenishment, in ms. @default 3_600_000 (1 h) */
  maintenanceIntervalMs?: number
  /** Peers whose decrypted sessions are kept in memory (least recently used dropped first; 0: none). @default 1024 */
  sessionCachePeers?: number
  /**
   * 1.3 (PROTOCOL.md §5.2): a RATCHET envelope in an established session (no
   * initial header) is sealed without its Ed25519 signature; whoever hands
   * it to a third party or to a 1.2 peer signs it then (`signUnsigned`).
   * Initial (X3DH) messages and SEALED envelopes are always signed. @default false
   */
  unsignedInSessions?: boolean
}

/** Options of {@link SessionManager.seal}. */
export interface SealOptions extends AbortOptions {
  /** 16 bytes. @default random */
  id?: Uint8Array
  /** @default Date.now() */
  sentAt?: number
  /** Proof-of-work stamp bytes. @default none */
  stamp?: Uint8Array
  /**
   * Start a session from the recipient's bundle when there is none. With
   * `false` (receipts), a payload for a peer without a session is sealed
   * SEALED without looking anything up. @default true
   */
  newSession?: boolean
  /**
   * Called with the encoded envelope inside the store transaction that saves
   * the advanced session, e.g. to keep the envelope for retries: the two are
   * written together or not at all.
   */
  keep?(envelope: Uint8Array): void
}

/** A sealed envelope. */
export interface SealedEnvelope {
  id: Uint8Array
  /** The encoded SignedEnvelope. */
  bytes: Uint8Array
  sentAt: number
  /** `'ratchet'` (forward-secret session) or `'sealed'` (to the identity key: no bundle was found). */
  scheme: 'ratchet' | 'sealed'
}

/** Seals and opens envelopes in forward-secret sessions. */
export interface SessionManager {
  /** Loads (or creates) the prekeys and starts publishing the bundle. Idempotent. */
  start(): void
  /** Stops publishing and pending lookups. Idempotent. */
  stop(): Promise<void>
  /**
   * Seals `payload` for `recipient` (RATCHET, or SEALED when no session can be
   * set up). Throws `IdentityKeyChangedError` while the recipient's key change
   * awaits acceptance, `MessageTooLargeError` / `InvalidMessageError` for a
   * bad payload.
   */
  seal(recipient: Ed25519Peer, payload: Payload, options?: SealOptions): Promise<SealedEnvelope>
  /**
   * Decrypts a verified envelope addressed to this node (RATCHET or SEALED).
   * A message already opened (a retransmission) yields its payload again.
   * Throws `InvalidMessageError` (with a `reason`).
   */
  open(envelope: VerifiedEnvelope): Promise<Payload>
  /** Throws `IdentityKeyChangedError` if messages to `recipient` must be held. */
  assertSendable(recipient: Ed25519Peer): void
  /**
   * The recipient refused `envelope` as INVALID. For a RATCHET envelope the
   * session it was sealed in is dropped (the one-time prekey was taken, or
   * the recipient lost the session) and `true` says: seal the payload again.
   */
  refused(envelope: Uint8Array): Promise<boolean>
  /** Publishes the prekey bundle now; resolves with how many DHT peers stored it. */
  publishBundle(options?: AbortOptions): Promise<number>
  /** Tells the manager a peer connected (the first one triggers publication). */
  peerConnected(): void
  /** Whether a session with `peer` (peer id string) is stored. */
  hasSession(peer: string): boolean
}

/**
 * Creates the session manager.
 *
 * @example
 * ```ts
 * const sessions = createSessionManager({ key, self, store, dht: libp2p.services.dht })
 * sessions.start()
 * const sealed = await sessions.seal(recipient, payload, { keep: (bytes) => outbox.keep(id, bytes) })
 * const payload = await sessions.open(await verifyEnvelope(bytes))
 * ```
 */
export function createSessionManager (components: SessionManagerComponents, init: SessionManagerInit = {}): SessionManager {
  const { key, self, store, dht } = components
  const log = components.logger.forComponent('natter:sessions')
  const sealedOnly = init.sealedOnly ?? false
  const unsignedInSessions = init.unsignedInSessions ?? false
  const maxSessions = init.maxSessionsPerPeer ?? MAX_SESSIONS_PER_PEER
  const maintenanceIntervalMs = init.maintenanceIntervalMs ?? MAINTENANCE_INTERVAL_MS
  const identity: IdentityKeyPair = { publicKey: key.publicKey.raw, secretKey: key.raw }
  const box = createSecretBox(key)
  const locks = new Map<string, Promise<unknown>>()
  // payloads opened lately, so a copy arriving at once from another mailbox is answered, not refused
  const recent = new Map<string, Payload>()
  let controller = new AbortController()
  let keeper: PrekeyKeeper | undefined
  let started = false
  // decrypted session sets, write-through (session-cache.ts); dropped on writes by others and on rollbacks
  const cache = createSessionCache(init.sessionCachePeers ?? SESSION_CACHE_PEERS)
  let saving = false
  let unlisten: Array<() => void> = []
  function listen (): void {
    if (unlisten.length > 0) {
      return
    }
    unlisten = [
      store.ratchetSessions.onChange(peer => {
        if (!saving) {
          cache.delete(peer)
        }
      }),
      store.onRollback(() => { cache.clear() })
    ]
  }
  listen()

  const bundles = createBundleCache({ dht, log, signal: () => controller.signal }, {
    timeoutMs: init.bundleTimeoutMs, cacheMs: init.bundleCacheMs, missCacheMs: init.bundleMissCacheMs
  })
  const publisher = createBundlePublisher({ key, self, dht, bundle: () => prekeys().bundleBytes(), log: log.newScope('publisher') }, init)

  function prekeys (): PrekeyKeeper {
    keeper ??= loadPrekeys({ identity, self, store, box, log: log.newScope('prekeys') }, init)
    return keeper
  }

  function maintain (): void {
    const k = prekeys()
    if (k.maintain()) {
      k.save()
      publisher.soon()
    }
  }

  async function exclusive<T> (peer: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(peer) ?? Promise.resolve()
    const run = previous.then(async () => {
      try {
        return await fn()
      } catch (err) {
        // the cached sessions may have advanced past what the store holds: read them again next time
        cache.delete(peer)
        throw err
      }
    })
    const tail = run.catch(() => {})
    locks.set(peer, tail)
    try {
      return await run
    } finally {
      if (locks.get(peer) === tail) {
        locks.delete(peer)
      }
    }
  }

  /** The sessions with `peer`, from the cache or else read from the store; mutate them only under the peer's lock. */
  function load (peer: Ed25519Peer): SessionEntry[] {
    if (unlisten.length === 0) {
      // stopped: not listening for other writers, so nothing is cached
      return loadStored(peer)
    }
    const id = peer.peerId.toString()
    const cached = cache.get(id)
    if (cached !== undefined) {
      return cached
    }
    const entries = loadStored(peer)
    cache.set(id, entries)
    return entries
  }

  function loadStored (peer: Ed25519Peer): SessionEntry[] {
    const row = store.ratchetSessions.get(peer.peerId.toString())
    if (row == null) {
      return []
    }
    try {
      return decodeSessionSet(box.open(SESSIONS_LABEL, peer.bytes, row.state)).filter(e =>
        uint8ArrayEquals(e.session.remoteIdentityKey, peer.publicKey.raw) && uint8ArrayEquals(e.session.localIdentityKey, identity.publicKey))
    } catch (err) {
      // unreadable (another identity's data key, or damage): start over; the peer will be refused and re-seal
      log.error('sessions with %s cannot be read (%s); starting over', peer.peerId.toString(), (err as Error).message)
      return []
    }
  }

  /** Writes `entries` (call inside a store transaction or group) and keeps them as the cached sessions of `peer`. */
  function save (peer: Ed25519Peer, entries: SessionEntry[]): void {
    const id = peer.peerId.toString()
    saving = true
    try {
      if (entries.length === 0) {
        store.ratchetSessions.delete(id)
      } else {
        const encoded = encodeSessionSet(entries)
        trace('state.encoded')
        const sealed = box.seal(SESSIONS_LABEL, peer.bytes, encoded)
        trace('state.sealed')
        store.ratchetSessions.put(id, sealed)
      }
    } finally {
      saving = false
    }
    if (unlisten.length > 0) {
      cache.set(id, entries)
    }
  }

  function remember (peer: string, id: string, payload: Payload): void {
    recent.delete(`${peer}/${id}`)
    recent.set(`${peer}/${id}`, payload)
    if (recent.size > RECENT_OPENED_LIMIT) {
      const oldest = recent.keys().next().value
      if (oldest != null) {
        recent.delete(oldest)
      }
    }
  }

  /** The payload of a message from `peer` already opened, if it is known. */
  function alreadyOpened (peer: string, id: string): Payload | undefined {
    const seen = recent.get(`${peer}/${id}`)
    if (seen != null) {
      return seen
    }
    return components.opened?.(peer, id)
  }

  function decryptIn (entry: SessionEntry, message: RatchetMessage, associatedData: Uint8Array): Uint8Array {
    try {
      return entry.session.decrypt(message, { associatedData })
    } catch (err) {
      throw ratchetFailure(err)
    }
  }

  async function openRatchet (envelope: VerifiedEnvelope, message: RatchetMessage): Promise<Payload> {
    const { body, sender } = envelope
    const peer = sender.peerId.toString()
    const id = uint8ArrayToString(body.id, 'base16')
    return exclusive(peer, async () => {
      const known = alreadyOpened(peer, id)
      if (known != null) {
        return known
      }
      const entries = load(sender)
      const associatedData = envelopeAssociatedData(body.sender, body.recipient, body.id)
      let used: SessionEntry | undefined
      let plaintext: Uint8Array | undefined
      let prekeyUsed = false
      if (message.x3dh != null) {
        if (!uint8ArrayEquals(message.x3dh.identityKey, sender.publicKey.raw)) {
          throw new InvalidMessageError('the session header names another identity than the envelope sender', { reason: 'malformed' })
        }
        used = findByInitialHeader(entries, message.x3dh, 'responder')
        if (used != null) {
          plaintext = decryptIn(used, message, associatedData)
        } else {
          let accepted
          try {
            accepted = acceptSession(identity, prekeys().prekeys, message, { associatedData })
          } catch (err) {
            throw ratchetFailure(err)
          }
          used = addAccepted(entries, accepted.session, identity.publicKey, sender.publicKey.raw)
          plaintext = accepted.plaintext
          prekeyUsed = message.x3dh.oneTimePrekeyId !== undefined
        }
      } else {
        let replay = false
        for (const entry of entries) {
          try {
            plaintext = entry.session.decrypt(message, { associatedData })
            used = entry
            break
          } catch (err) {
            replay ||= err instanceof DuplicateMessageError
          }
        }
        if (used == null) {
          throw new InvalidMessageError(replay
            ? 'replayed message: its key was already used'
            : 'no session with the sender decrypts this message (session unknown or lost)', { reason: 'decrypt-failed' })
        }
      }
      // a malformed payload is refused before anything is written
      trace('rx.decrypted')
      const payload = decodePayload(plaintext as Uint8Array)
      promote(entries, used)
      trim(entries, maxSessions)
      // in this turn's group commit: the inbound pipeline acknowledges only once it committed
      store.group(() => {
        save(sender, entries)
        trace('rx.stateSaved')
        if (prekeyUsed) {
          prekeys().save()
        }
      })
      if (prekeyUsed) {
        // the used one-time prekey must leave the published bundle; top the stock up when low
        if (prekeys().low) {
          maintain()
        }
        publisher.soon()
      }
      remember(peer, id, payload)
      return payload
    })
  }

  const maintenance = repeatingTask(guard(log, 'prekey maintenance', maintain), maintenanceIntervalMs)
  const onPeerConnect = guard(log, 'peer:connect handling', () => { publisher.peerConnected() })

  const manager: SessionManager = {
    start () {
      if (started) {
        return
      }
      started = true
      listen()
      controller = new AbortController()
      maintain()
      maintenance.start()
      publisher.start()
      components.events?.addEventListener('peer:connect', onPeerConnect)
    },

    async stop () {
      if (!started) {
        return
      }
      started = false
      components.events?.removeEventListener('peer:connect', onPeerConnect)
      maintenance.stop()
      controller.abort()
      await publisher.stop()
      await Promise.allSettled([...locks.values()])
      for (const remove of unlisten) remove()
      unlisten = []
      cache.clear()
    },

    assertSendable (recipient) {
      components.hold?.(recipient)
    },

    async seal (recipient, payload, options = {}) {
      manager.assertSendable(recipient)
      const plaintext = Payload.encode(payload)
      decodePayload(plaintext)
      const id = options.id ?? randomBytes(MESSAGE_ID_BYTES)
      const sentAt = options.sentAt ?? Date.now()
      const stamp = options.stamp ?? EMPTY
      const peer = recipient.peerId.toString()
      const sealed = await exclusive(peer, async () => {
        const entries = sealedOnly ? [] : load(recipient)
        let entry = sendingEntry(entries)
        if (entry == null && options.newSession !== false && !sealedOnly) {
          const record = await bundles.get(recipient, options.signal)
          if (record != null) {
            try {
              const oneTimePrekeyId = bundles.pickOneTimePrekey(peer, record)
              const session = startSession(identity, record.bundle, {
                expectedIdentityKey: recipient.publicKey.raw,
                oneTimePrekeyId
              })
              // the recipient deletes it on first use: a later session from the same cached bundle (this one lost,
              // or reset by another writer) must not pick it again, or the recipient refuses it as unknown
              if (oneTimePrekeyId != null) bundles.burn(peer, oneTimePrekeyId)
              entry = { session, superseded: false }
              entries.unshift(entry)
              trim(entries, maxSessions)
            } catch (err) {
              log.error('cannot start a session from the bundle of %s: %s', peer, (err as Error).message)
              bundles.forget(peer)
            }
          }
        }
        if (entry == null) {
          // no session and no bundle: sealed to the identity key, end-to-end encrypted but not forward secret
          log('no session with %s and no prekey bundle found: sealing with SEALED', peer)
          const sealed = await sealEnvelope({ senderKey: key, sender: self.bytes, recipient, id, sentAt, payload, stamp })
          if (options.keep != null) {
            const keep = options.keep
            store.group(() => { keep(sealed.bytes) })
          }
          return { ...sealed, scheme: 'sealed' as const }
        }
        trace('tx.sessionLoaded')
        const message = entry.session.encrypt(plaintext, { associatedData: envelopeAssociatedData(self.bytes, recipient.bytes, id) })
        trace('tx.encrypted')
        const body: EnvelopeBody = {
          version: ENVELOPE_VERSION,
          id,
          sender: self.bytes,
          recipient: recipient.bytes,
          sentAt: BigInt(sentAt),
          scheme: EnvelopeBody.Scheme.RATCHET,
          ephemeralKey: EMPTY,
          nonce: EMPTY,
          ciphertext: encodeRatchetMessage(message),
          stamp
        }
        // 1.3 (§5.2): in an established session (no initial header) the ratchet's AEAD authenticates the
        // sender to the recipient; the signature is added only where a third party or a 1.2 peer needs it
        const bytes = unsignedInSessions && message.x3dh == null ? encodeUnsignedEnvelope(body) : await signEnvelope(body, key)
        trace('tx.encoded')
        // written in this turn's group commit; the envelope is handed out only once that committed (below)
        store.group(() => {
          save(recipient, entries)
          trace('tx.stateSaved')
          options.keep?.(bytes)
        })
        return { id, bytes, sentAt, scheme: 'ratchet' as const }
      })
      // the advanced state is on disk before the envelope can leave; awaited outside the peer's lock, so
      // the next message to the same peer is sealed (on the uncommitted state) and shares the commit
      trace('tx.sealCommitWait')
      await store.committed()
      return sealed
    },

    async open (envelope) {
      const { body } = envelope
      if (!uint8ArrayEquals(body.recipient, self.bytes)) {
        throw new InvalidMessageError('envelope is addressed to another peer', { reason: 'wrong-recipient' })
      }
      if (envelope.signed === false && body.scheme !== EnvelopeBody.Scheme.RATCHET) {
        throw new InvalidMessageError('an unsigned envelope must be a RATCHET envelope (§5.2)', { reason: 'unsigned' })
      }
      if (body.scheme === EnvelopeBody.Scheme.SEALED) {
        return openSealed(envelope, key, self.bytes)
      }
      if (body.scheme !== EnvelopeBody.Scheme.RATCHET) {
        throw new InvalidMessageError(`unknown envelope scheme ${String(body.scheme)}`, { reason: 'malformed' })
      }
      let message: RatchetMessage
      try {
        message = decodeRatchetMessage(body.ciphertext)
      } catch (err) {
        throw new InvalidMessageError('malformed ratchet message', { cause: err, reason: 'malformed' })
      }
      if (envelope.signed === false && message.x3dh != null) {
        // §5.2: a first-contact (X3DH) message starts a session from a prekey: only the signature says who sent it
        throw new InvalidMessageError('an unsigned envelope must be in an established session (it has an initial header)', { reason: 'unsigned' })
      }
      return openRatchet(envelope, message)
    },

    async refused (envelope) {
      let body: EnvelopeBody
      let message: RatchetMessage
      let recipient: Ed25519Peer
      try {
        body = EnvelopeBody.decode(SignedEnvelope.decode(envelope).body)
        if (body.scheme !== EnvelopeBody.Scheme.RATCHET) {
          return false
        }
        message = decodeRatchetMessage(body.ciphertext)
        recipient = peerFromBytes(body.recipient)
      } catch {
        return false
      }
      const peer = recipient.peerId.toString()
      bundles.forget(peer)
      const x3dh = message.x3dh
      if (x3dh?.oneTimePrekeyId !== undefined) {
        bundles.burn(peer, x3dh.oneTimePrekeyId)
      }
      await exclusive(peer, async () => {
        const entries = load(recipient)
        const index = entries.findIndex(e => x3dh != null
          ? e.session.role === 'initiator' && !e.session.confirmed && initialHeadersEqual(e.session.initialHeader, x3dh)
          : uint8ArrayEquals(sendingRatchetKey(e.session), message.header.dh))
        if (index >= 0) {
          log('%s cannot read session %d: dropping it', peer, index)
          entries.splice(index, 1)
          store.transaction(() => { save(recipient, entries) })
        }
      })
      return true
    },

    async publishBundle (options = {}) {
      prekeys()
      return publisher.publish(options)
    },

    peerConnected () {
      publisher.peerConnected()
    },

    hasSession (peer) {
      return store.ratchetSessions.get(peer) != null
    }
  }
  return manager
}

/** The named error an envelope receiver answers for a ratchet failure. */
function ratchetFailure (err: unknown): InvalidMessageError {
  const e = err as Error
  switch (e.name) {
    case 'DuplicateMessageError':
      return new InvalidMessageError('replayed message: its key was already used', { cause: err, reason: 'decrypt-failed' })
    case 'UnknownPrekeyError':
      return new InvalidMessageError(`unknown prekey (taken by another sender, or expired): ${e.message}`, { cause: err, reason: 'decrypt-failed' })
    case 'InvalidMessageError':
    case 'InvalidKeyError':
      return new InvalidMessageError(`malformed ratchet message: ${e.message}`, { cause: err, reason: 'malformed' })
    default:
      return new InvalidMessageError(`ratchet message does not decrypt: ${e.message}`, { cause: err, reason: 'decrypt-failed' })
  }
}
