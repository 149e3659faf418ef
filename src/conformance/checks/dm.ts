/**
 * §4, §5 and §8: direct-message frames, envelope rules and proof-of-work
 * stamps, each sent by a fresh stranger probe (a stranger's rate limit is a
 * few messages, §8.6) on its own `/natter/dm/1.0.0` stream.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { MAX_ENVELOPE_AGE_MS, MAX_ENVELOPE_BYTES, MAX_TEXT_BYTES, envelopeAssociatedData, envelopeSigningBytes } from '../../crypto/envelope.js'
import { DM_PROTOCOL, MAX_DM_FRAME_BYTES } from '../../dm/protocol.js'
import { encodeStamp, mintStamp } from '../../abuse/index.js'
import { encodeRatchetMessage, startSession } from '../../crypto/ratchet/index.js'
import { DmRequest, DmResponse } from '../../pb/dm.js'
import { EnvelopeBody, Payload, SignedEnvelope } from '../../pb/envelope.js'
import { openRaw, varint } from '../probe.js'
import type { Kit } from '../kit.js'

const DAY_MS = 24 * 60 * 60 * 1000
import type { LightLibp2p, Probe, RawStream, ReadOutcome } from '../probe.js'

/** How an envelope of the kit is made; every field may be out of range. */
export interface EnvelopeSpec {
  id?: Uint8Array
  version?: number
  sentAt?: bigint
  recipient?: Uint8Array
  /** Whom the envelope is for (sealed to and addressed to). @default the target */
  to?: Probe
  /** The encoded Payload; a one-word TEXT by default. */
  payload?: Uint8Array
  stamp?: Uint8Array
  /** Bytes appended to the encoded body before signing (e.g. an unknown enum value, which encoders refuse to write). */
  bodySuffix?: Uint8Array
  /** Replaces the SEALED encryption: `RATCHET` with this ratchet message as the ciphertext (§6.7). */
  ratchet?: Uint8Array
  /** Changes the body after encryption, before signing. */
  tamper?(body: EnvelopeBody): EnvelopeBody
  /** Flips a bit of the signature. */
  badSignature?: boolean
}

/** An encoded TEXT payload (text may be empty or too long: the kit checks refusals). */
export function textPayload (text: string, seq = 1n): Uint8Array {
  return Payload.encode({ type: Payload.Type.TEXT, text, seq, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED })
}

/** A SEALED envelope from `probe` to the target, built from PROTOCOL.md §4.2 with the primitives alone. */
export async function kitEnvelope (kit: Kit, probe: Probe, spec: EnvelopeSpec = {}): Promise<{ id: Uint8Array, bytes: Uint8Array }> {
  const id = spec.id ?? randomBytes(16)
  const recipient = spec.recipient ?? spec.to?.bytes ?? kit.peer.bytes
  const recipientX = ed25519.utils.toMontgomery(spec.to != null ? spec.to.key.publicKey.raw : kit.peer.publicKey.raw)
  const e = x25519.utils.randomSecretKey()
  const E = x25519.getPublicKey(e)
  const key = hkdf(sha256, x25519.getSharedSecret(e, recipientX), uint8ArrayConcat([E, recipientX]), uint8ArrayFromString('natter-sealed-v1'), 32)
  const nonce = randomBytes(24)
  const ciphertext = xchacha20poly1305(key, nonce, envelopeAssociatedData(probe.bytes, recipient, id)).encrypt(spec.payload ?? textPayload('conformance'))
  let body: EnvelopeBody = {
    version: spec.version ?? 1,
    id,
    sender: probe.bytes,
    recipient,
    sentAt: spec.sentAt ?? BigInt(Date.now()),
    scheme: EnvelopeBody.Scheme.SEALED,
    ephemeralKey: E,
    nonce,
    ciphertext,
    stamp: spec.stamp ?? new Uint8Array(0)
  }
  if (spec.ratchet != null) {
    body = { ...body, scheme: EnvelopeBody.Scheme.RATCHET, ephemeralKey: new Uint8Array(0), nonce: new Uint8Array(0), ciphertext: spec.ratchet }
  }
  if (spec.tamper != null) {
    body = spec.tamper(body)
  }
  const bodyBytes = spec.bodySuffix != null ? uint8ArrayConcat([EnvelopeBody.encode(body), spec.bodySuffix]) : EnvelopeBody.encode(body)
  const signature = await probe.key.sign(envelopeSigningBytes(bodyBytes))
  if (spec.badSignature === true) {
    signature[0] = signature[0]! ^ 0x01
  }
  return { id, bytes: SignedEnvelope.encode({ body: bodyBytes, signature }) }
}

/** A stamp from `probe` to the target (or `recipient`), minted for `difficulty` bits at time `at`. */
export async function kitStamp (kit: Kit, probe: Probe, difficulty: number, at = Date.now(), recipient = kit.peer.bytes): Promise<Uint8Array> {
  return encodeStamp(await mintStamp({ sender: probe.bytes, recipient, difficulty, now: at, signal: kit.signal }))
}

/** The reply to one request, and what the stream did next when asked. */
interface Reply {
  response?: DmResponse
  /** When there was no reply: what the read saw. */
  instead?: ReadOutcome
}

/** A DM stream of a fresh probe. */
interface DmProbe {
  probe: Probe<LightLibp2p>
  raw: RawStream
  /** Sends one envelope and reads its reply. */
  request(envelope: Uint8Array): Promise<Reply>
}

async function dmProbe (kit: Kit): Promise<DmProbe> {
  const probe = await kit.light()
  const raw = await openRaw(probe.libp2p, kit.target, DM_PROTOCOL)
  return {
    probe,
    raw,
    async request (envelope) {
      await raw.send(DmRequest.encode({ envelope }))
      return readReply(raw)
    }
  }
}

async function readReply (raw: RawStream): Promise<Reply> {
  const r = await raw.read()
  if (r.kind !== 'frame') {
    return { instead: r }
  }
  return { response: DmResponse.decode(r.bytes) }
}

function describe (reply: Reply): string {
  if (reply.response == null) {
    const r = reply.instead!
    return r.kind === 'reset' ? `no reply: ${r.error}` : r.kind === 'eof' ? 'no reply: the stream was closed' : 'no reply in 10 s'
  }
  const status = DmResponse.Status[reply.response.status] ?? String(reply.response.status)
  const id = reply.response.id.byteLength === 0 ? 'empty id' : `id ${Buffer.from(reply.response.id).toString('hex').slice(0, 8)}…`
  const extra = reply.response.status === DmResponse.Status.POW_REQUIRED ? `, required_difficulty ${reply.response.requiredDifficulty}` : ''
  return `${status}, ${id}${extra}${reply.response.error !== '' ? ` ("${reply.response.error.slice(0, 80)}")` : ''}`
}

const isStatus = (reply: Reply, status: DmResponse.Status): boolean => reply.response?.status === status
const echoes = (reply: Reply, id: Uint8Array): boolean => reply.response != null && uint8ArrayEquals(reply.response.id, id)

/** What the stream did after a refusal that must end it: closed (EOF), not reset. */
function describeEnd (r: ReadOutcome): string {
  return r.kind === 'eof' ? 'then closed the stream (EOF)' : r.kind === 'reset' ? `then reset the stream (${r.error})` : r.kind === 'timeout' ? 'and kept the stream open' : 'then sent another frame'
}

/** DM frames, envelopes and stamps. */
export async function dmChecks (kit: Kit): Promise<void> {
  // --- frames that end the stream (§5) ---
  const ending: Array<[string, string, (d: DmProbe) => Promise<void>, DmResponse.Status]> = [
    ['INVALID, empty id, then close (not reset) on an undecodable frame (65,552 zero bytes)', 'undecodable', async (d) => {
      await d.raw.send(new Uint8Array(MAX_DM_FRAME_BYTES))
    }, DmResponse.Status.INVALID],
    ['TOO_LARGE, then close (not reset) on a frame over 65,552 bytes', 'too large', async (d) => {
      await d.raw.sendRaw(uint8ArrayConcat([varint(MAX_DM_FRAME_BYTES + 1), new Uint8Array(1024)]))
    }, DmResponse.Status.TOO_LARGE],
    ['INVALID, empty id, then close on an envelope whose id is not 16 bytes', 'short id', async (d) => {
      const e = await kitEnvelope(kit, d.probe, { id: randomBytes(15) })
      await d.raw.send(DmRequest.encode({ envelope: e.bytes }))
    }, DmResponse.Status.INVALID]
  ]
  for (const [rule, , send, status] of ending) {
    await kit.check('§5', 'MUST', rule, async () => {
      const d = await dmProbe(kit)
      await send(d)
      const reply = await readReply(d.raw)
      const after = reply.response != null ? await d.raw.read(5000) : undefined
      const ok = isStatus(reply, status) && reply.response!.id.byteLength === 0 && after?.kind === 'eof'
      return [ok, `${describe(reply)}${after != null ? `, ${describeEnd(after)}` : ''}`]
    })
  }

  // --- envelopes refused before any stamp is needed (§4.1, §5): the stream stays open ---
  const refusedEnvelope = async (section: string, rule: string, spec: (d: DmProbe) => Promise<{ id: Uint8Array, bytes: Uint8Array }>, status = DmResponse.Status.INVALID): Promise<void> => {
    await kit.check(section, 'MUST', rule, async () => {
      const d = await dmProbe(kit)
      const e = await spec(d)
      const reply = await d.request(e.bytes)
      if (isStatus(reply, DmResponse.Status.POW_REQUIRED) || isStatus(reply, DmResponse.Status.RATE_LIMITED)) {
        return { outcome: 'skip', evidence: `inconclusive: ${describe(reply)} came first` }
      }
      return [isStatus(reply, status) && echoes(reply, e.id), `${describe(reply)}${echoes(reply, e.id) ? ' (the id echoed)' : ''}`]
    })
  }
  await refusedEnvelope('§4.1', 'INVALID, id echoed, for a bad signature', async (d) => kitEnvelope(kit, d.probe, { badSignature: true }))
  await refusedEnvelope('§4.1', 'INVALID for sent_at more than 5 min ahead', async (d) => kitEnvelope(kit, d.probe, { sentAt: BigInt(Date.now() + 6 * 60_000) }))
  await refusedEnvelope('§4.1', 'INVALID for sent_at more than 30 days ago', async (d) => kitEnvelope(kit, d.probe, { sentAt: BigInt(Date.now() - MAX_ENVELOPE_AGE_MS - DAY_MS) }))
  await refusedEnvelope('§1', 'INVALID for a uint64 above 2^53 − 1 (sent_at)', async (d) => kitEnvelope(kit, d.probe, { sentAt: 2n ** 63n }))
  await refusedEnvelope('§4.1', 'INVALID for an unknown envelope version (2)', async (d) => kitEnvelope(kit, d.probe, { version: 2 }))
  await refusedEnvelope('§4', 'INVALID, id echoed, for an unknown scheme (7)', async (d) => kitEnvelope(kit, d.probe, { bodySuffix: Uint8Array.of(0x30, 0x07) }))
  await refusedEnvelope('§5', 'TOO_LARGE, id echoed, for an envelope over 65,536 bytes', async (d) => {
    const e = await kitEnvelope(kit, d.probe)
    // a valid envelope padded by an unknown field past the limit: the id still decodes
    const pad = MAX_ENVELOPE_BYTES - e.bytes.byteLength
    return { id: e.id, bytes: uint8ArrayConcat([e.bytes, Uint8Array.of(0x7a), varint(pad), new Uint8Array(pad)]) }
  }, DmResponse.Status.TOO_LARGE)

  // --- proof of work (§8.5) ---
  let difficulty: number | undefined
  await kit.check('§8.5.2', 'SHOULD', 'POW_REQUIRED, with required_difficulty, for a stranger\'s first message without a stamp', async () => {
    const d = await dmProbe(kit)
    const e = await kitEnvelope(kit, d.probe)
    const reply = await d.request(e.bytes)
    if (isStatus(reply, DmResponse.Status.POW_REQUIRED) && reply.response!.requiredDifficulty > 0) {
      difficulty = reply.response!.requiredDifficulty
    }
    return [difficulty != null && echoes(reply, e.id), describe(reply)]
  })
  kit.facts.requiredDifficulty = difficulty
  const stamped = async (section: string, level: 'MUST' | 'SHOULD', rule: string, make: (d: DmProbe, D: number) => Promise<{ id: Uint8Array, bytes: Uint8Array }>, expect: (reply: Reply, id: Uint8Array) => boolean): Promise<void> => {
    if (difficulty == null) {
      kit.note(section, level, rule, 'skip', 'the target asked for no stamp')
      return
    }
    const D = difficulty
    await kit.check(section, level, rule, async () => {
      const d = await dmProbe(kit)
      const e = await make(d, D)
      const reply = await d.request(e.bytes)
      return [expect(reply, e.id), describe(reply)]
    })
  }
  const powRequired = (reply: Reply, id: Uint8Array): boolean => isStatus(reply, DmResponse.Status.POW_REQUIRED) && echoes(reply, id)
  await stamped('§8.5', 'MUST', 'POW_REQUIRED for a stamp below the required difficulty', async (d, D) => kitEnvelope(kit, d.probe, { stamp: await kitStamp(kit, d.probe, D - 1) }), powRequired)
  await stamped('§8.5', 'MUST', 'POW_REQUIRED for a stale stamp (over 24 h old)', async (d, D) => kitEnvelope(kit, d.probe, { stamp: await kitStamp(kit, d.probe, D, Date.now() - DAY_MS - 60_000) }), powRequired)
  await stamped('§8.5', 'MUST', 'POW_REQUIRED for a stamp from the future (over 5 min ahead)', async (d, D) => kitEnvelope(kit, d.probe, { stamp: await kitStamp(kit, d.probe, D, Date.now() + 10 * 60_000) }), powRequired)
  await stamped('§8.5', 'MUST', 'POW_REQUIRED for a stamp minted for another recipient', async (d, D) => kitEnvelope(kit, d.probe, { stamp: await kitStamp(kit, d.probe, D, Date.now(), (await kit.light()).bytes) }), powRequired)
  await stamped('§4.2', 'MUST', 'INVALID for an envelope addressed to another peer (stamped for the target)', async (d, D) => kitEnvelope(kit, d.probe, { recipient: (await kit.light()).bytes, stamp: await kitStamp(kit, d.probe, D) }), (reply) => isStatus(reply, DmResponse.Status.INVALID))
  await stamped('§4.3', 'MUST', 'refuses an empty TEXT (1..16384 bytes)', async (d, D) => kitEnvelope(kit, d.probe, { stamp: await kitStamp(kit, d.probe, D), payload: textPayload('') }), (reply) => isStatus(reply, DmResponse.Status.INVALID))
  await stamped('§4.3', 'MUST', 'refuses a TEXT over 16384 bytes (TOO_LARGE)', async (d, D) => kitEnvelope(kit, d.probe, { stamp: await kitStamp(kit, d.probe, D), payload: textPayload('x'.repeat(MAX_TEXT_BYTES + 1)) }), (reply) => isStatus(reply, DmResponse.Status.TOO_LARGE))
  await stamped('§4', 'MUST', 'refuses an unknown payload type (7)', async (d, D) => kitEnvelope(kit, d.probe, {
    stamp: await kitStamp(kit, d.probe, D),
    // field 1 (type) = 7, after a TEXT payload (TEXT = 0 is not written): the last value wins
    payload: uint8ArrayConcat([textPayload('x'), Uint8Array.of(0x08, 0x07)])
  }), (reply) => isStatus(reply, DmResponse.Status.INVALID))

  // a stamped, valid first message; then the same envelope again
  if (difficulty == null) {
    kit.note('§5', 'MUST', 'OK for a valid stamped message; OK again for the same envelope (duplicate)', 'skip', 'the target asked for no stamp')
  } else {
    const d = await dmProbe(kit)
    const e = await kitEnvelope(kit, d.probe, { stamp: await kitStamp(kit, d.probe, difficulty) })
    const first = await d.request(e.bytes)
    await kit.check('§5', 'MUST', 'OK, id echoed, for a valid first message with a stamp of the required difficulty', async () => [isStatus(first, DmResponse.Status.OK) && echoes(first, e.id), describe(first)])
    await kit.check('§4.3', 'MUST', 'OK again for the same envelope (a duplicate is acknowledged)', async () => {
      const again = await d.request(e.bytes)
      return [isStatus(again, DmResponse.Status.OK) && echoes(again, e.id), describe(again)]
    })
  }
  // a tampered ciphertext under a valid stamp, then the same stamp on a new envelope
  if (difficulty == null) {
    kit.note('§4.2', 'MUST', 'INVALID for a tampered ciphertext', 'skip', 'the target asked for no stamp')
  } else {
    const d = await dmProbe(kit)
    const stamp = await kitStamp(kit, d.probe, difficulty)
    const tampered = await kitEnvelope(kit, d.probe, { stamp, tamper: (body) => ({ ...body, ciphertext: body.ciphertext.map((b, i) => i === 0 ? b ^ 1 : b) }) })
    const reply = await d.request(tampered.bytes)
    await kit.check('§4.2', 'MUST', 'INVALID, id echoed, for a tampered ciphertext (re-signed by its sender)', async () => [isStatus(reply, DmResponse.Status.INVALID) && echoes(reply, tampered.id), describe(reply)])
    await kit.check('§8.5.1', 'MAY', 'a stamp on a refused envelope is spent (or not) consistently', async () => {
      // a receiver records a stamp when the message it pays for is accepted; whether a refused one spends it is
      // up to the receiver, so both answers pass — what must not happen is anything else
      const next = await kitEnvelope(kit, d.probe, { stamp })
      const replayed = await d.request(next.bytes)
      if (powRequired(replayed, next.id)) {
        return [true, `${describe(replayed)}: the refused envelope spent its stamp`]
      }
      return [isStatus(replayed, DmResponse.Status.OK) && echoes(replayed, next.id), `${describe(replayed)}: the refused envelope did not spend its stamp`]
    })
    kit.note('§8.5.1', 'MUST', 'POW_REQUIRED for the stamp of an accepted message, replayed', 'unobservable',
      'once a stranger\'s message is accepted its next ones need no stamp (§8.5.2); needing one again takes more messages than a stranger\'s rate limit allows in one run')
  }

  await kit.check('§8.6', 'SHOULD', 'RATE_LIMITED for a stranger\'s flood of requests', async () => {
    const d = await dmProbe(kit)
    const statuses: string[] = []
    for (let i = 0; i < 12; i++) {
      const reply = await d.request((await kitEnvelope(kit, d.probe)).bytes)
      statuses.push(reply.response != null ? DmResponse.Status[reply.response.status] ?? '?' : reply.instead!.kind)
      if (reply.response == null || reply.response.status === DmResponse.Status.RATE_LIMITED) {
        break
      }
    }
    return [statuses.includes('RATE_LIMITED'), `replies: ${statuses.join(' ')}`]
  })

  kit.note('§4.3', 'MUST', 'delivers each (sender, id) at most once to its user', 'unobservable', 'needs a control hook into the target (natter tests it in test/integration/dm-wire.test.ts)')
  kit.note('§5', 'MUST', 'a blocked sender\'s message is answered OK and dropped', 'unobservable', 'needs a control hook into the target')
  kit.note('§5', 'SHOULD', 'closes a stream idle for 60 s', 'skip', 'takes a minute; not run')
  await ratchetChecks(kit)
}

/**
 * §6: a session from the target's DHT bundle (X3DH), its first RATCHET
 * message, and the refusals of §6.8: a message key used twice, and a
 * tampered ratchet message.
 */
async function ratchetChecks (kit: Kit): Promise<void> {
  const bundle = kit.facts.bundle
  if (bundle == null || kit.facts.requiredDifficulty == null) {
    for (const rule of ['OK for a first RATCHET message from the target\'s DHT bundle', 'INVALID for a ratchet message replayed in a new envelope', 'INVALID for a tampered ratchet message']) {
      kit.note('§6', 'MUST', rule, 'skip', bundle == null ? 'no prekey bundle of the target was found (§6.3)' : 'the target asked for no stamp')
    }
    return
  }
  const d = await dmProbe(kit)
  const identity = { publicKey: d.probe.key.publicKey.raw, secretKey: d.probe.key.raw }
  const opk = bundle.oneTimePrekeys[Math.floor(Math.random() * bundle.oneTimePrekeys.length)]
  const session = startSession(identity, bundle, { expectedIdentityKey: kit.peer.publicKey.raw, oneTimePrekeyId: opk?.id })
  const seal = async (text: string, seq: bigint, stamp?: Uint8Array): Promise<{ id: Uint8Array, ratchet: Uint8Array, bytes: Uint8Array }> => {
    const id = randomBytes(16)
    const ratchet = encodeRatchetMessage(session.encrypt(textPayload(text, seq), { associatedData: envelopeAssociatedData(d.probe.bytes, kit.peer.bytes, id) }))
    return { ratchet, ...(await kitEnvelope(kit, d.probe, { id, ratchet, stamp })) }
  }
  const first = await seal('ratchet one', 1n, await kitStamp(kit, d.probe, kit.facts.requiredDifficulty))
  const ok = await d.request(first.bytes)
  const started = await kit.check('§6.5', 'MUST', 'OK for a first RATCHET message (X3DH from the target\'s DHT bundle)', async () =>
    [isStatus(ok, DmResponse.Status.OK) && echoes(ok, first.id), `${describe(ok)}; signed prekey ${bundle.signedPrekey.id}, ${opk != null ? `one-time prekey ${opk.id}` : 'no one-time prekey'}`])
  if (!started) {
    return
  }
  await kit.check('§6.8', 'MUST', 'INVALID for a ratchet message replayed in a new envelope (its message key was used)', async () => {
    // the same ratchet message under a new id: its message key is spent (and its associated data names the old id)
    const id = randomBytes(16)
    const replay = await kitEnvelope(kit, d.probe, { id, ratchet: first.ratchet })
    const reply = await d.request(replay.bytes)
    return [isStatus(reply, DmResponse.Status.INVALID) && echoes(reply, id), describe(reply)]
  })
  await kit.check('§6.6', 'MUST', 'INVALID for a tampered ratchet message (ciphertext changed, re-signed)', async () => {
    const next = await seal('ratchet two', 2n)
    const tampered = await kitEnvelope(kit, d.probe, { id: next.id, ratchet: next.ratchet.map((b: number, i: number) => i === next.ratchet.length - 1 ? b ^ 1 : b) })
    const reply = await d.request(tampered.bytes)
    return [isStatus(reply, DmResponse.Status.INVALID) && echoes(reply, next.id), describe(reply)]
  })
}
