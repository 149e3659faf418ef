/**
 * §9: mailboxes. A depositor probe leaves an envelope for a recipient probe
 * (which never connected before), the recipient fetches it back with a
 * signed challenge and acknowledges it. Replies are read from the wire
 * without a schema, so statuses added in 1.1 (STAMP_REQUIRED, UNAVAILABLE)
 * are understood by a kit built against either.
 */
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { MAILBOX_PROTOCOL, fetchSigningBytes } from '../../mailbox/protocol.js'
import { MailboxRequest } from '../../pb/mailbox.js'
import { protobufFields } from '../../util/protobuf-wire.js'
import { openRaw, varint } from '../probe.js'
import { kitEnvelope, kitStamp } from './dm.js'
import type { Kit } from '../kit.js'
import type { Probe, RawStream } from '../probe.js'

/** MailboxResponse statuses by number, 1.1 included. */
export const MAILBOX_STATUS = ['OK', 'INVALID', 'TOO_LARGE', 'QUOTA_EXCEEDED', 'UNAUTHORIZED', 'DISABLED', 'RATE_LIMITED', 'STAMP_REQUIRED', 'UNAVAILABLE']

/** A MailboxResponse read field by field. */
interface Reply {
  status: string
  error: string
  nonce: Uint8Array
  envelopes: Uint8Array[]
  more: boolean
  requiredDifficulty: number
  retryAfterMs: number
}

function parseReply (bytes: Uint8Array): Reply {
  const fields = protobufFields(bytes)
  if (fields == null) {
    throw new Error('the reply is not a well-formed MailboxResponse')
  }
  const reply: Reply = { status: 'OK', error: '', nonce: new Uint8Array(0), envelopes: [], more: false, requiredDifficulty: 0, retryAfterMs: 0 }
  for (const { field, value } of fields) {
    if (field === 1 && typeof value === 'bigint') reply.status = MAILBOX_STATUS[Number(value)] ?? `status ${value}`
    if (field === 2 && value instanceof Uint8Array) reply.error = new TextDecoder().decode(value)
    if (field === 3 && value instanceof Uint8Array) reply.nonce = value
    if (field === 4 && value instanceof Uint8Array) reply.envelopes.push(value)
    if (field === 5 && typeof value === 'bigint') reply.more = value !== 0n
    if (field === 6 && typeof value === 'bigint') reply.requiredDifficulty = Number(value)
    if (field === 7 && typeof value === 'bigint') reply.retryAfterMs = Number(value)
  }
  return reply
}

const EMPTY = new Uint8Array(0)

async function call (raw: RawStream, request: Partial<MailboxRequest>, stamp?: Uint8Array): Promise<Reply> {
  let bytes = MailboxRequest.encode({ type: MailboxRequest.Type.DEPOSIT, envelope: EMPTY, recipient: EMPTY, signature: EMPTY, limit: 0, ids: [], ...request })
  if (stamp != null) {
    // field 7 (1.1): the deposit stamp, appended so that a kit built on a 1.0 schema can still send it
    bytes = uint8ArrayConcat([bytes, Uint8Array.of(0x3a), varint(stamp.byteLength), stamp])
  }
  await raw.send(bytes)
  const r = await raw.read()
  if (r.kind !== 'frame') {
    throw new Error(r.kind === 'reset' ? `no reply: ${r.error}` : r.kind === 'eof' ? 'no reply: the stream was closed' : 'no reply in 10 s')
  }
  return parseReply(r.bytes)
}

const show = (r: Reply): string => `${r.status}${r.error !== '' ? ` ("${r.error.slice(0, 80)}")` : ''}`

/** Deposits `envelope`, paying a deposit stamp when asked (once); returns the replies seen. */
async function deposit (kit: Kit, raw: RawStream, depositor: Probe, envelope: Uint8Array, stampAsked: { difficulty?: number }): Promise<Reply> {
  let reply = await call(raw, { type: MailboxRequest.Type.DEPOSIT, envelope })
  for (let i = 0; i < 50 && reply.status === 'RATE_LIMITED'; i++) {
    await new Promise(resolve => setTimeout(resolve, Math.min(Math.max(reply.retryAfterMs, 100), 2000)))
    reply = await call(raw, { type: MailboxRequest.Type.DEPOSIT, envelope })
  }
  if (reply.status === 'STAMP_REQUIRED') {
    stampAsked.difficulty = reply.requiredDifficulty
    // §9.3 (1.1): S = the depositor, R = the mailbox peer
    reply = await call(raw, { type: MailboxRequest.Type.DEPOSIT, envelope }, await kitStamp(kit, depositor, reply.requiredDifficulty, Date.now(), kit.peer.bytes))
  }
  return reply
}

/** Options of the mailbox group. */
export interface MailboxChecksInit {
  /** Also fill a depositor's quota (a few hundred deposits). @default true */
  quotas?: boolean
}

/** Mailbox deposit, challenge, fetch, acknowledgement and quotas. */
export function mailboxChecks (init: MailboxChecksInit = {}) {
  return async (kit: Kit): Promise<void> => {
    const depositor = await kit.light()
    const recipient = await kit.light()
    const raw = await openRaw(depositor.libp2p, kit.target, MAILBOX_PROTOCOL).catch(() => undefined)
    if (raw == null) {
      kit.note('§9', 'SHOULD', 'mailbox checks', 'skip', `the target does not speak ${MAILBOX_PROTOCOL}`)
      return
    }
    const stampAsked: { difficulty?: number } = {}
    const letter = await kitEnvelope(kit, depositor, { to: recipient })
    let deposited = false
    const served = await kit.check('§9.3', 'MUST', 'DEPOSIT of a valid envelope for another peer: OK', async () => {
      const reply = await deposit(kit, raw, depositor, letter.bytes, stampAsked)
      if (reply.status === 'DISABLED') {
        return { outcome: 'skip', evidence: 'DISABLED: the target opted out of serving mailboxes' }
      }
      deposited = reply.status === 'OK'
      return [deposited, `${show(reply)}${stampAsked.difficulty != null ? `, after paying a ${stampAsked.difficulty}-bit deposit stamp` : ''}`]
    })
    await kit.check('§9.3', 'SHOULD', 'STAMP_REQUIRED (1.1) for a stranger\'s first unstamped deposit', async () =>
      [stampAsked.difficulty != null, stampAsked.difficulty != null ? `asked for ${stampAsked.difficulty} bits` : 'accepted without a stamp'])
    if (!served) {
      return
    }
    await kit.check('§9.3', 'MUST', 'DEPOSIT of an envelope with a bad signature: INVALID', async () => {
      const bad = await kitEnvelope(kit, depositor, { to: recipient, badSignature: true })
      const reply = await call(raw, { type: MailboxRequest.Type.DEPOSIT, envelope: bad.bytes })
      return [reply.status === 'INVALID', show(reply)]
    })
    await kit.check('§9.3', 'MUST', 'DEPOSIT of an envelope dated more than 5 min ahead: INVALID', async () => {
      const bad = await kitEnvelope(kit, depositor, { to: recipient, sentAt: BigInt(Date.now() + 10 * 60_000) })
      const reply = await call(raw, { type: MailboxRequest.Type.DEPOSIT, envelope: bad.bytes })
      return [reply.status === 'INVALID', show(reply)]
    })
    await raw.close()
    await kit.check('§9.2', 'MUST', 'INVALID, then close (not reset), for an undecodable request', async () => {
      const d = await kit.light()
      const stream = await openRaw(d.libp2p, kit.target, MAILBOX_PROTOCOL)
      // field 2 (envelope) says 5 bytes follow, and none do
      await stream.send(Uint8Array.of(0x12, 0x05))
      const r = await stream.read()
      const reply = r.kind === 'frame' ? parseReply(r.bytes) : undefined
      const after = reply != null ? await stream.read(5000) : undefined
      return [reply?.status === 'INVALID' && after?.kind === 'eof', `${reply != null ? show(reply) : `no reply (${r.kind})`}${after != null ? `, then ${after.kind === 'eof' ? 'closed the stream (EOF)' : after.kind === 'reset' ? `reset the stream (${after.error})` : 'kept the stream open'}` : ''}`]
    })

    // the recipient fetches on a stream of its own
    const intruder = await kit.light()
    const rs = await openRaw(recipient.libp2p, kit.target, MAILBOX_PROTOCOL)
    const sign = async (probe: Probe, nonce: Uint8Array): Promise<Uint8Array> => probe.key.sign(fetchSigningBytes(kit.peer.bytes, nonce))
    await kit.check('§9.4', 'MUST', 'ACK before a successful FETCH on the stream: UNAUTHORIZED', async () => {
      const reply = await call(rs, { type: MailboxRequest.Type.ACK, ids: [letter.id] })
      return [reply.status === 'UNAUTHORIZED', show(reply)]
    })
    let nonce: Uint8Array = EMPTY
    await kit.check('§9.4', 'MUST', 'CHALLENGE: a 32-byte nonce', async () => {
      const reply = await call(rs, { type: MailboxRequest.Type.CHALLENGE })
      nonce = reply.nonce
      return [reply.status === 'OK' && nonce.byteLength === 32, `${show(reply)}, nonce of ${nonce.byteLength} bytes`]
    })
    await kit.check('§9.4', 'MUST', 'FETCH signed by another key than the recipient\'s: UNAUTHORIZED', async () => {
      const reply = await call(rs, { type: MailboxRequest.Type.FETCH, recipient: recipient.bytes, signature: await sign(intruder, nonce), limit: 10 })
      return [reply.status === 'UNAUTHORIZED' && reply.envelopes.length === 0, `${show(reply)}, ${reply.envelopes.length} envelopes`]
    })
    // 1.1: the nonce is single-use, whatever the outcome: a new challenge for the real fetch
    nonce = (await call(rs, { type: MailboxRequest.Type.CHALLENGE })).nonce
    const signature = await sign(recipient, nonce)
    await kit.check('§9.4', 'MUST', 'FETCH with the recipient\'s signature over the nonce returns the deposited envelope', async () => {
      const reply = await call(rs, { type: MailboxRequest.Type.FETCH, recipient: recipient.bytes, signature, limit: 10 })
      const found = reply.envelopes.some(e => uint8ArrayEquals(e, letter.bytes))
      return [reply.status === 'OK' && found, `${show(reply)}, ${reply.envelopes.length} envelopes${found ? ', the deposited one byte for byte' : ', not the deposited one'}`]
    })
    await kit.check('§9.4', 'MUST', 'a second FETCH over the same nonce: UNAUTHORIZED (single-use, 1.1)', async () => {
      const reply = await call(rs, { type: MailboxRequest.Type.FETCH, recipient: recipient.bytes, signature, limit: 10 })
      return [reply.status === 'UNAUTHORIZED', show(reply)]
    })
    await kit.check('§9.4', 'MUST', 'ACK after FETCH: OK, and the envelope is gone', async () => {
      const ack = await call(rs, { type: MailboxRequest.Type.ACK, ids: [letter.id] })
      const again = await call(rs, { type: MailboxRequest.Type.CHALLENGE })
      const reply = await call(rs, { type: MailboxRequest.Type.FETCH, recipient: recipient.bytes, signature: await sign(recipient, again.nonce), limit: 10 })
      const still = reply.envelopes.some(e => uint8ArrayEquals(e, letter.bytes))
      return [ack.status === 'OK' && reply.status === 'OK' && !still, `ACK ${show(ack)}; FETCH again: ${show(reply)}, ${still ? 'still held' : 'gone'}`]
    })
    await rs.close()

    if (init.quotas === false) {
      kit.note('§9.3', 'MUST', 'QUOTA_EXCEEDED once a depositor\'s quota is full', 'skip', 'quota checks not asked for')
      return
    }
    await kit.check('§9.3', 'MUST', 'QUOTA_EXCEEDED once a depositor\'s quota is full (natter: 200), nothing else changes', async () => {
      const d = await kit.light()
      const to = await kit.light()
      const stream = await openRaw(d.libp2p, kit.target, MAILBOX_PROTOCOL)
      const asked: { difficulty?: number } = {}
      let accepted = 0
      let last: Reply | undefined
      try {
        for (let i = 0; i < 1100 && !kit.signal.aborted; i++) {
          last = await deposit(kit, stream, d, (await kitEnvelope(kit, d, { to })).bytes, asked)
          if (last.status !== 'OK') {
            break
          }
          accepted++
        }
      } finally {
        await stream.close()
      }
      return [last?.status === 'QUOTA_EXCEEDED', `${accepted} deposits accepted, then ${last != null ? show(last) : 'nothing'}`]
    })
  }
}
