/**
 * §3.6: presence v2 observed from outside, with two full probes (natter's own
 * network services, so both gossipsubs): the target serves the v2 mesh
 * protocol; on the shard it subscribes to (its own), it forwards a
 * well-formed record it cannot open and rejects malformed ones, records of
 * another epoch, and a tag past its per-epoch rate (§3.6.5); it refuses a
 * direct update from a non-contact (§3.6.6).
 */
import { randomBytes } from '@noble/hashes/utils.js'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { PRESENCE_MESH_PROTOCOL } from '../../presence/constants.js'
import { SealedPresence } from '../../pb/presence.js'
import { SHARD_TOPICS, epochOf } from '../../presence/sealed.js'
import { MAX_RECORDS_PER_TAG_PER_EPOCH, PRESENCE_DIRECT_PROTOCOL } from '../../presence/service-v2.js'
import type { Kit } from '../kit.js'

const frame = (fields: { epoch?: bigint, tag?: Uint8Array, nonce?: Uint8Array, ciphertext?: Uint8Array } = {}): Uint8Array => SealedPresence.encode({
  epoch: fields.epoch ?? epochOf(Date.now()),
  tag: fields.tag ?? randomBytes(16),
  nonce: fields.nonce ?? randomBytes(24),
  ciphertext: fields.ciphertext ?? randomBytes(528)
})

async function until (condition: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline || signal.aborted) return false
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  return true
}

/** Presence v2 checks. */
export async function presenceV2Checks (kit: Kit): Promise<void> {
  const targetId = kit.peer.peerId.toString()
  const observer = await kit.full()
  const publisher = await kit.full()
  for (const p of [observer, publisher]) {
    for (const t of SHARD_TOPICS) p.libp2p.services.presence.subscribe(t)
  }
  const seen: Uint8Array[] = []
  observer.libp2p.services.presence.addEventListener('message', (evt) => { seen.push(evt.detail.data) })
  await observer.libp2p.dial(kit.target, { signal: AbortSignal.timeout(10_000) })
  await publisher.libp2p.dial(kit.target, { signal: AbortSignal.timeout(10_000) })

  const served = await kit.check('§3.6.1', 'MUST', `serves presence v2's gossipsub ${PRESENCE_MESH_PROTOCOL}`, async () => {
    const ok = await until(() => observer.libp2p.getConnections(kit.peer.peerId).some(c => c.streams.some(s => s.protocol === PRESENCE_MESH_PROTOCOL)), 10_000, kit.signal)
    return [ok, ok ? 'a presence mesh stream is open' : 'no presence mesh stream within 10 s']
  })
  if (!served) return
  let shard: string | undefined
  await until(() => {
    shard = SHARD_TOPICS.find(t => observer.libp2p.services.presence.getSubscribers(t).some(p => p.toString() === targetId))
    return shard != null
  }, 10_000, kit.signal)
  if (shard == null) {
    kit.note('§3.6.5', 'MUST', 'validation of records it cannot open', 'skip', 'the target subscribed to no shard within 10 s')
    return
  }
  const topic = shard
  const arrived = (data: Uint8Array): boolean => seen.some(d => uint8ArrayEquals(d, data))
  // only through the target: the probes may have met through the DHT; what one hears from the other proves nothing
  const apart = async (): Promise<void> => { await observer.libp2p.hangUp(publisher.libp2p.peerId).catch(() => {}) }
  const forwarded = async (data: Uint8Array, timeoutMs = 8_000): Promise<boolean> => {
    await apart()
    await publisher.libp2p.services.presence.publish(topic, data)
    return until(() => arrived(data), timeoutMs, kit.signal)
  }
  /** Publishes `data` then a valid sentinel; whether `data` came through, once the sentinel did. */
  const forwardedBeforeSentinel = async (data: Uint8Array): Promise<boolean | undefined> => {
    await apart()
    await publisher.libp2p.services.presence.publish(topic, data)
    if (!await forwarded(frame())) return arrived(data) ? true : undefined
    return arrived(data)
  }
  const first = await kit.check('§3.6.5', 'MUST', 'forwards a well-formed record it cannot open', async () => {
    const data = frame()
    const ok = await forwarded(data) || await forwarded(frame())
    return [ok, ok ? `forwarded on ${topic}` : `not forwarded on ${topic} within 2 × 8 s`]
  })
  if (!first) return
  const rejects = async (rule: string, data: Uint8Array): Promise<void> => {
    await kit.check('§3.6.5', 'MUST', rule, async () => {
      const result = await forwardedBeforeSentinel(data)
      if (result === undefined) return { outcome: 'skip', evidence: 'inconclusive: a valid sentinel published after it was not forwarded either' }
      return [!result, result ? 'forwarded' : 'not forwarded (a valid record published after it was)']
    })
  }
  await rejects('rejects a ciphertext other than 528 bytes', frame({ ciphertext: randomBytes(400) }))
  await rejects('rejects a tag other than 16 bytes', frame({ tag: randomBytes(20) }))
  await rejects('rejects a record of an epoch two behind', frame({ epoch: epochOf(Date.now()) - 2n }))
  await rejects('rejects data over 640 bytes', frame({ ciphertext: randomBytes(700) }))
  await kit.check('§3.6.5', 'MUST', `rejects records of one tag past ${MAX_RECORDS_PER_TAG_PER_EPOCH} per epoch from one peer`, async () => {
    const tag = randomBytes(16)
    for (let i = 0; i < MAX_RECORDS_PER_TAG_PER_EPOCH; i++) {
      await publisher.libp2p.services.presence.publish(topic, frame({ tag }))
    }
    const last = frame({ tag })
    const result = await forwardedBeforeSentinel(last)
    if (result === undefined) return { outcome: 'skip', evidence: 'inconclusive: the sentinel was not forwarded' }
    return [!result, result ? `the ${MAX_RECORDS_PER_TAG_PER_EPOCH + 1}th record of one tag was forwarded` : `the ${MAX_RECORDS_PER_TAG_PER_EPOCH + 1}th was not forwarded`]
  })
  await kit.check('§3.6.6', 'MUST', `refuses ${PRESENCE_DIRECT_PROTOCOL} from a non-contact`, async () => {
    try {
      const stream = await publisher.libp2p.dialProtocol(kit.peer.peerId, PRESENCE_DIRECT_PROTOCOL, { signal: AbortSignal.timeout(5_000) })
      stream.send(Uint8Array.of(1, 0))
      const closed = await until(() => stream.status !== 'open', 5_000, kit.signal)
      return [closed, closed ? `the stream ended (${stream.status})` : 'the stream stayed open']
    } catch (err) {
      return [true, `refused: ${(err as Error).message}`]
    }
  })
  kit.note('§3.6.5', 'MUST', 'opens and verifies contacts\' records', 'unobservable', 'needs the target to be the probe\'s contact (a presence key over the DM channel)')
}
