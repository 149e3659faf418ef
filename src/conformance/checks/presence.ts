/**
 * §3.3: presence validation, observed from outside. A publisher probe sends
 * a record to the target; an observer probe connected to the target alone
 * sees whether the target forwarded it (gossipsub forwards only what its
 * validator accepts). After each record that must be rejected, the publisher
 * sends a valid "sentinel" record: once the sentinel has come through, the
 * rejected one had its chance to.
 */
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { PresenceRecord, SignedPresence } from '../../pb/presence.js'
import { PRESENCE_TOPIC } from '../../presence/record.js'
import type { Kit } from '../kit.js'
import type { Probe, PubsubLibp2p } from '../probe.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

interface Fields {
  /** A status outside the enum is written by hand: encoders refuse it. */
  status?: number
  note?: string
  seq?: bigint
  issuedAt?: bigint
  expiresAt?: bigint
}

/** A presence record signed as §3.1 says, any field out of range if asked. */
async function record (key: Ed25519PrivateKey, fields: Fields = {}, tamper?: (signed: { record: Uint8Array, signature: Uint8Array }) => Uint8Array): Promise<Uint8Array> {
  const now = BigInt(Date.now())
  const STATUSES = [PresenceRecord.Status.ONLINE, PresenceRecord.Status.AWAY, PresenceRecord.Status.BUSY, PresenceRecord.Status.OFFLINE]
  const known = fields.status == null || STATUSES[fields.status] != null
  let bytes = PresenceRecord.encode({
    peerId: peerIdFromPrivateKey(key).toMultihash().bytes,
    status: known ? STATUSES[fields.status ?? 0]! : PresenceRecord.Status.ONLINE,
    note: fields.note ?? '',
    seq: fields.seq ?? now,
    issuedAt: fields.issuedAt ?? now,
    expiresAt: fields.expiresAt ?? now + 60_000n
  })
  if (!known) {
    // field 2 (status), after the rest: the last value wins
    bytes = uint8ArrayConcat([bytes, Uint8Array.of(0x10, fields.status!)])
  }
  const signature = await key.sign(uint8ArrayConcat([uint8ArrayFromString('natter-presence-v1'), bytes]))
  return tamper != null ? tamper({ record: bytes, signature }) : SignedPresence.encode({ record: bytes, signature })
}

async function until (condition: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline || signal.aborted) {
      return false
    }
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  return true
}

/** Presence validation boundaries. */
export async function presenceChecks (kit: Kit): Promise<void> {
  const observer = await kit.pubsub()
  const seen: Uint8Array[] = []
  observer.libp2p.services.pubsub.addEventListener('message', (evt) => {
    if (evt.detail.topic === PRESENCE_TOPIC) {
      seen.push(evt.detail.data)
    }
  })
  observer.libp2p.services.pubsub.subscribe(PRESENCE_TOPIC)
  await observer.libp2p.dial(kit.target, { signal: AbortSignal.timeout(10_000) })
  const targetId = kit.peer.peerId.toString()
  const subscribed = await until(() => observer.libp2p.services.pubsub.getSubscribers(PRESENCE_TOPIC).some(p => p.toString() === targetId), 10_000, kit.signal)
  if (!subscribed) {
    kit.note('§3.1', 'MUST', `subscribes to ${PRESENCE_TOPIC}`, 'skip', 'the target did not subscribe within 10 s; presence checks skipped')
    return
  }
  const arrived = (data: Uint8Array): boolean => seen.some(d => uint8ArrayEquals(d, data))
  const onlyThroughTarget = (): boolean => observer.libp2p.getConnections().every(c => c.remotePeer.toString() === targetId)

  async function publisher (): Promise<Probe<PubsubLibp2p>> {
    const p = await kit.pubsub()
    p.libp2p.services.pubsub.subscribe(PRESENCE_TOPIC)
    await p.libp2p.dial(kit.target, { signal: AbortSignal.timeout(10_000) })
    if (!await until(() => p.libp2p.services.pubsub.getSubscribers(PRESENCE_TOPIC).some(s => s.toString() === targetId), 10_000, kit.signal)) {
      throw new Error('the publisher probe did not see the target subscribe within 10 s')
    }
    return p
  }

  /** Publishes `data`; true when the observer received it through the target within `timeoutMs`. */
  async function forwarded (p: Probe<PubsubLibp2p>, data: Uint8Array, timeoutMs = 10_000): Promise<boolean> {
    await p.libp2p.services.pubsub.publish(PRESENCE_TOPIC, data)
    return until(() => arrived(data), timeoutMs, kit.signal)
  }

  /** Publishes `data`, then a sentinel; the result once the sentinel arrived (or `undefined`, inconclusive). */
  async function forwardedBeforeSentinel (p: Probe<PubsubLibp2p>, data: Uint8Array): Promise<boolean | undefined> {
    await p.libp2p.services.pubsub.publish(PRESENCE_TOPIC, data)
    const sentinel = await record(await generateKeyPair('Ed25519'))
    if (await forwarded(p, sentinel)) {
      return arrived(data)
    }
    // the publisher's own sentinel did not come through: try one from a fresh publisher before calling it inconclusive
    const again = await record(await generateKeyPair('Ed25519'))
    if (await forwarded(await publisher(), again)) {
      return arrived(data)
    }
    return arrived(data) ? true : undefined
  }

  const accepts = async (rule: string, make: (key: Ed25519PrivateKey) => Promise<Uint8Array>): Promise<boolean> =>
    kit.check('§3.3', 'MUST', rule, async () => {
      const p = await publisher()
      const data = await make(await generateKeyPair('Ed25519'))
      let ok = await forwarded(p, data)
      let again = ''
      if (!ok) {
        // gossip is best effort: publish it once more (a new gossipsub message, the same record) before failing it
        ok = await forwarded(p, data)
        again = ', after a second publication'
      }
      const state = `observer ${observer.libp2p.getConnections(kit.peer.peerId).length > 0 ? 'connected' : 'disconnected'}, target ${observer.libp2p.services.pubsub.getSubscribers(PRESENCE_TOPIC).some(p => p.toString() === targetId) ? 'still' : 'no longer'} subscribed`
      return [ok && onlyThroughTarget(), ok ? `forwarded to the observer (${data.byteLength} bytes, signed by a key other than the publishing node's${again})` : `not forwarded within 2 × 10 s (${state})`]
    })
  const rejects = async (rule: string, make: (key: Ed25519PrivateKey) => Promise<Uint8Array>): Promise<void> => {
    await kit.check('§3.3', 'MUST', rule, async () => {
      const p = await publisher()
      const data = await make(await generateKeyPair('Ed25519'))
      const result = await forwardedBeforeSentinel(p, data)
      if (result === undefined) {
        return { outcome: 'skip', evidence: 'inconclusive: a valid sentinel record published after it was not forwarded either' }
      }
      return [!result, result ? 'forwarded to the observer' : 'not forwarded (a valid record published after it was)']
    })
  }

  const now = (): bigint => BigInt(Date.now())
  const first = await accepts('forwards a valid record (relayed by another node: allowed)', async (key) => record(key))
  if (!first) {
    kit.note('§3.3', 'MUST', 'validation boundaries', 'skip', 'the target forwarded no valid record, so rejection cannot be observed')
    return
  }
  await accepts('accepts a note of exactly 140 UTF-8 bytes', async (key) => record(key, { note: 'é'.repeat(70) }))
  await rejects('rejects a note of 141 UTF-8 bytes', async (key) => record(key, { note: 'é'.repeat(70) + 'x' }))
  await accepts('accepts a lifetime of exactly 10 min', async (key) => { const t = now(); return record(key, { issuedAt: t, expiresAt: t + 600_000n }) })
  await rejects('rejects a lifetime over 10 min', async (key) => { const t = now(); return record(key, { issuedAt: t, expiresAt: t + 600_001n }) })
  await rejects('rejects expires_at <= issued_at', async (key) => { const t = now(); return record(key, { issuedAt: t, expiresAt: t }) })
  await accepts('accepts issued_at 30 s ahead (skew up to 60 s)', async (key) => { const t = now() + 30_000n; return record(key, { issuedAt: t, expiresAt: t + 60_000n }) })
  await rejects('rejects issued_at more than 60 s ahead', async (key) => { const t = now() + 120_000n; return record(key, { issuedAt: t, expiresAt: t + 60_000n }) })
  await rejects('rejects an expired record', async (key) => { const t = now(); return record(key, { issuedAt: t - 10_000n, expiresAt: t - 1000n }) })
  await rejects('rejects a record over 1024 bytes', async (key) => record(key, {}, (signed) => {
    // a valid record and signature, padded past the limit by an unknown field of SignedPresence
    return uint8ArrayConcat([SignedPresence.encode(signed), Uint8Array.of(0x7a, 0x80, 0x08), new Uint8Array(1024)])
  }))
  await rejects('rejects a bad signature', async (key) => record(key, {}, (signed) => {
    signed.signature[0] = signed.signature[0]! ^ 0x01
    return SignedPresence.encode(signed)
  }))
  await rejects('rejects an unknown status (4)', async (key) => record(key, { status: 4 }))
  await rejects('rejects seq above 2^53 − 1', async (key) => record(key, { seq: 2n ** 53n }))
  await kit.check('§3.3', 'MUST', 'rejects seq lower than the highest accepted', async () => {
    const p = await publisher()
    const key = await generateKeyPair('Ed25519')
    const t = now()
    const newer = await record(key, { seq: t, issuedAt: t })
    if (!await forwarded(p, newer)) {
      return { outcome: 'skip', evidence: 'inconclusive: the first record was not forwarded' }
    }
    const older = await record(key, { seq: t - 10n, issuedAt: t })
    const result = await forwardedBeforeSentinel(p, older)
    if (result === undefined) {
      return { outcome: 'skip', evidence: 'inconclusive: the sentinel was not forwarded' }
    }
    return [!result, result ? 'the older record was forwarded' : 'the older record was not forwarded']
  })
  await kit.check('§3.3', 'MUST', 'ignores (does not forward) a record whose seq equals the highest known', async () => {
    const p = await publisher()
    const key = await generateKeyPair('Ed25519')
    const t = now()
    if (!await forwarded(p, await record(key, { seq: t, issuedAt: t }))) {
      return { outcome: 'skip', evidence: 'inconclusive: the first record was not forwarded' }
    }
    const same = await record(key, { seq: t, issuedAt: t, note: 'same seq' })
    const result = await forwardedBeforeSentinel(p, same)
    if (result === undefined) {
      return { outcome: 'skip', evidence: 'inconclusive: the sentinel was not forwarded' }
    }
    return [!result, result ? 'the duplicate seq was forwarded' : 'not forwarded']
  })
  kit.note('§3.3', 'MUST', 'Reject (penalise) rather than Ignore invalid records', 'unobservable', 'the gossipsub verdict is internal; only forwarding is seen')
  kit.note('§3.3', 'MUST', 'does not act on records about itself', 'unobservable', 'needs a control hook into the target')
}
