/**
 * §2 and §6.3: the DHT under `/natter/kad/1.0.0`, spoken frame by frame
 * (libp2p Kademlia messages), so the kit sees exactly what the target answers.
 */
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { createPrekeyStore, encodeBundle, exportBundle } from '../../crypto/ratchet/index.js'
import { DHT_PROTOCOL } from '../../network/libp2p.js'
import { MAX_PREKEY_RECORD_AGE_MS, prekeyRecordKey, signPrekeyRecord, verifyPrekeyRecord } from '../../sessions/bundle-record.js'
import { KadMessage, KadRecord } from '../../pb/kad.js'
import { openRaw } from '../probe.js'
import type { Kit } from '../kit.js'
import type { Probe } from '../probe.js'
import type { Libp2p, Ed25519PrivateKey } from '@libp2p/interface'

/** One request and its reply on a fresh DHT stream; `undefined` when the target ended the stream instead. */
async function kadCall (kit: Kit, libp2p: Libp2p, request: Partial<KadMessage>): Promise<{ reply?: KadMessage, ended: string }> {
  const raw = await openRaw(libp2p, kit.target, DHT_PROTOCOL)
  try {
    await raw.send(KadMessage.encode({ type: KadMessage.Type.PING, closer: [], providers: [], ...request }))
    const r = await raw.read()
    if (r.kind === 'frame') {
      return { reply: KadMessage.decode(r.bytes), ended: '' }
    }
    return { ended: r.kind === 'reset' ? `stream reset (${r.error})` : r.kind === 'eof' ? 'stream closed without a reply' : 'no reply in 10 s' }
  } finally {
    await raw.close()
  }
}

/** A valid prekey record of `key` (PROTOCOL.md §6.3), published at `publishedAt`. */
async function prekeyRecordOf (key: Ed25519PrivateKey, bytes: Uint8Array, publishedAt: number): Promise<Uint8Array> {
  const store = createPrekeyStore({ publicKey: key.publicKey.raw, secretKey: key.raw }, { oneTimePrekeys: 2 })
  return signPrekeyRecord(key, { bytes }, encodeBundle(exportBundle(store)), publishedAt)
}

async function put (kit: Kit, probe: Probe, value: Uint8Array): Promise<string> {
  const key = prekeyRecordKey({ bytes: probe.bytes })
  const { reply, ended } = await kadCall(kit, probe.libp2p, {
    type: KadMessage.Type.PUT_VALUE,
    key,
    record: KadRecord.encode({ key, value, timeReceived: new Date().toISOString() })
  })
  return reply != null ? `PUT_VALUE answered (type ${KadMessage.Type[reply.type] ?? reply.type})` : `PUT_VALUE ${ended}`
}

async function get (kit: Kit, probe: Probe, owner: Uint8Array): Promise<Uint8Array | undefined> {
  const key = prekeyRecordKey({ bytes: owner })
  const { reply, ended } = await kadCall(kit, probe.libp2p, { type: KadMessage.Type.GET_VALUE, key })
  if (reply == null) {
    throw new Error(`GET_VALUE: ${ended}`)
  }
  if (reply.record == null || reply.record.byteLength === 0) {
    return undefined
  }
  return KadRecord.decode(reply.record).value
}

/** DHT: FIND_NODE, the target's own bundle, storing valid and refusing invalid records. */
export async function dhtChecks (kit: Kit): Promise<void> {
  const probe = await kit.full()
  await probe.libp2p.dial(kit.target, { signal: AbortSignal.timeout(10_000) })

  await kit.check('§2', 'MUST', `answers FIND_NODE on ${DHT_PROTOCOL}`, async () => {
    const { reply, ended } = await kadCall(kit, probe.libp2p, { type: KadMessage.Type.FIND_NODE, key: probe.bytes })
    if (reply == null) {
      return [false, `FIND_NODE: ${ended}`]
    }
    return [reply.type === KadMessage.Type.FIND_NODE, `FIND_NODE answered with ${reply.closer.length} closer peers`]
  })

  await kit.check('§6.3', 'MUST', 'publishes a valid prekey record of its own', async () => {
    const key = prekeyRecordKey(kit.peer)
    // the target PUTs to the closest peers it knows (this probe, now) and, as kad-dht does, keeps a copy; ask both
    for (let i = 0; i < 50; i++) {
      const value = await get(kit, probe, kit.peer.bytes).catch(() => undefined) ?? await viaProbe(probe, key)
      if (value != null) {
        const verified = await verifyPrekeyRecord(key, value)
        kit.facts.bundle = verified.bundle
        return [true, `record of ${value.byteLength} bytes, published ${new Date(verified.publishedAt).toISOString()}, ${verified.bundle.oneTimePrekeys.length} one-time prekeys, signed prekey id ${verified.bundle.signedPrekey.id}`]
      }
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    return [false, 'no record under /natter-prekeys/<target> at the target or this probe within 10 s']
  })

  await kit.check('§6.3', 'MUST', 'stores a valid prekey record (PUT_VALUE) and returns it (GET_VALUE)', async () => {
    const value = await prekeyRecordOf(probe.key, probe.bytes, Date.now())
    const putResult = await put(kit, probe, value)
    const back = await get(kit, probe, probe.bytes)
    return [back != null && uint8ArrayEquals(back, value), `${putResult}; GET_VALUE returned ${back == null ? 'nothing' : uint8ArrayEquals(back, value) ? 'the same record' : 'another record'}`]
  })

  const invalid: Array<[string, (key: Ed25519PrivateKey, bytes: Uint8Array) => Promise<Uint8Array>]> = [
    ['a bad signature', async (key, bytes) => {
      const value = await prekeyRecordOf(key, bytes, Date.now())
      value[value.length - 1] = value[value.length - 1]! ^ 0x01
      return value
    }],
    ['published more than 30 days ago', async (key, bytes) => prekeyRecordOf(key, bytes, Date.now() - MAX_PREKEY_RECORD_AGE_MS - 60_000)],
    ['published more than 5 min ahead', async (key, bytes) => prekeyRecordOf(key, bytes, Date.now() + 10 * 60_000)],
    ['over 8192 bytes', async (key, bytes) => {
      const value = await prekeyRecordOf(key, bytes, Date.now())
      // an unknown field after a valid record, under the same signature: only the size is wrong
      const padded = new Uint8Array(value.byteLength + 3 + 8200)
      padded.set(value)
      padded.set([0x7a, 0x88, 0x40], value.byteLength) // field 15, length-delimited, 8200 bytes follow
      return padded
    }]
  ]
  for (const [what, make] of invalid) {
    await kit.check('§6.3', 'MUST', `refuses to store a prekey record with ${what}`, async () => {
      const fresh = await kit.light()
      const value = await make(fresh.key, fresh.bytes)
      const putResult = await put(kit, fresh, value)
      const back = await get(kit, fresh, fresh.bytes)
      return [back == null, `${putResult}; GET_VALUE afterwards returned ${back == null ? 'nothing' : `a record of ${back.byteLength} bytes`}`]
    })
  }
}

/** The record as the probe's own DHT finds it (its datastore, where the target's PUT lands, and the network). */
async function viaProbe (probe: Probe, key: Uint8Array): Promise<Uint8Array | undefined> {
  const dht = (probe.libp2p as Probe['libp2p'] & { services: { dht: { get(key: Uint8Array, options: { signal: AbortSignal }): AsyncIterable<{ name: string, value?: Uint8Array }> } } }).services.dht
  try {
    for await (const event of dht.get(key, { signal: AbortSignal.timeout(2000) })) {
      if (event.name === 'VALUE' && event.value != null) {
        return event.value
      }
    }
  } catch {
    // not found in time: the caller asks again
  }
  return undefined
}
