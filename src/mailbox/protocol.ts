/**
 * The `/natter/mailbox/1.0.0` stream protocol (PROTOCOL.md §9): depositing
 * opaque envelopes with ordinary peers for an offline recipient, and fetching
 * them back with a signed challenge. Wire only; quotas and storage are the
 * backend's business.
 */
import { randomBytes } from '@noble/hashes/utils.js'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { MAX_ENVELOPE_BYTES, MESSAGE_ID_BYTES, verifyEnvelope } from '../crypto/envelope.js'
import { peerFromBytes } from '../crypto/peer.js'
import { closeAfterReply } from '../network/close.js'
import { boundedLpStream } from '../network/length-prefixed.js'
import { MailboxRefusedError } from './errors.js'
import { isTransientStoreError } from '../store/faults.js'
import { DEFAULT_DIFFICULTY, encodeStamp, mintStamp } from '../abuse/index.js'
import { EnvelopeBody, SignedEnvelope } from '../pb/envelope.js'
import { MailboxRequest, MailboxResponse } from '../pb/mailbox.js'
import type { Connection, Ed25519PrivateKey, Logger, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'

export { MailboxRequest, MailboxResponse }

/** Protocol id of the mailbox protocol. */
export const MAILBOX_PROTOCOL = '/natter/mailbox/1.0.0'
/** Largest request frame (a DEPOSIT of the largest envelope). */
export const MAX_MAILBOX_REQUEST_BYTES = MAX_ENVELOPE_BYTES + 64
/** Largest FETCH reply frame: replies are filled up to this many envelope bytes. */
export const MAX_FETCH_REPLY_BYTES = 1024 * 1024
/** Most envelopes in one FETCH reply. */
export const MAX_FETCH_ENVELOPES = 256
/** Most ids in one ACK. */
export const MAX_ACK_IDS = 1024
/** The highest deposit-stamp difficulty a depositor pays by default (about 16 s of work). */
export const DEFAULT_MAX_PAY_DIFFICULTY = 24
/**
 * Most DEPOSIT requests a depositor writes ahead of their replies on one
 * stream (PROTOCOL.md §9.2, 1.3: pipelining; the mailbox still answers one
 * request at a time, in order, and checks each envelope on its own).
 */
export const MAX_DEPOSIT_PIPELINE = 32
/** A mailbox stream idle this long is closed. */
export const MAILBOX_IDLE_TIMEOUT_MS = 30_000

const FETCH_DOMAIN = uint8ArrayFromString('natter-mailbox-fetch-v1')

/** The bytes a recipient signs to fetch: domain, the mailbox's peer id bytes, the nonce. */
export function fetchSigningBytes (mailboxPeer: Uint8Array, nonce: Uint8Array): Uint8Array {
  return uint8ArrayConcat([FETCH_DOMAIN, mailboxPeer, nonce])
}

/** An envelope held for a recipient. */
export interface HeldEnvelope {
  id: Uint8Array
  envelope: Uint8Array
  /** Opaque paging position (see {@link MailboxBackend.fetch}). */
  position: string
}

/** Storage and policy behind the mailbox protocol. Methods throw named errors to refuse. */
export interface MailboxBackend {
  /** False when this node opted out of serving as a mailbox. */
  enabled(): boolean
  /**
   * Stores a verified envelope. Throws `MailboxQuotaExceededError` (or any
   * error whose name ends in `QuotaExceededError`) when full, `RateLimitedError` when throttled.
   */
  deposit(entry: { recipient: string, depositor: string, id: Uint8Array, envelope: Uint8Array, stamp: Uint8Array }): void | Promise<void>
  /** Oldest-first envelopes held for `recipient`; with `after`, only those held after that position. */
  fetch(recipient: string, limit: number, after?: string): HeldEnvelope[] | Promise<HeldEnvelope[]>
  /** The paging position of the envelope held for `recipient` under `id`, if any. */
  positionOf?(recipient: string, id: Uint8Array): string | undefined
  /** Deletes envelopes the recipient acknowledged. */
  ack(recipient: string, ids: Uint8Array[]): void | Promise<void>
  /** Optional admission check per request (rate limits, block list); throw to refuse. */
  admit?(peer: string, type: MailboxRequest.Type): void
  /** Where the end of a served stream is told. @default silent */
  log?: Logger
}

/** Serves one inbound mailbox stream. */
export async function handleMailboxStream (stream: Stream, connection: Connection, ownPeer: Uint8Array, backend: MailboxBackend): Promise<void> {
  const lp = boundedLpStream(stream, MAX_MAILBOX_REQUEST_BYTES)
  const remote = connection.remotePeer.toString()
  let nonce: Uint8Array | undefined
  let authorized: string | undefined
  // where the last FETCH reply on this stream ended, so `after` still works once that envelope is ACKed
  let lastReturned: { id: string, position: string } | undefined
  const send = async (response: Partial<MailboxResponse>): Promise<void> => {
    await lp.write(MailboxResponse.encode({ status: MailboxResponse.Status.OK, error: '', nonce: new Uint8Array(0), envelopes: [], more: false, requiredDifficulty: 0, retryAfterMs: 0, ...response }), { signal: AbortSignal.timeout(10_000) })
  }
  try {
    while (true) {
      let frame
      try {
        frame = await lp.read({ signal: AbortSignal.timeout(MAILBOX_IDLE_TIMEOUT_MS) })
      } catch (err) {
        const name = (err as Error).name
        if (name === 'UnexpectedEOFError' || name === 'StreamClosedError') {
          break
        }
        if (name === 'InvalidDataLengthError') {
          await send({ status: MailboxResponse.Status.TOO_LARGE, error: 'request exceeds the size limit' })
          // §9.2 (1.1): close after the reply, never reset right after it
          await closeAfterReply(stream)
          return
        }
        throw err
      }
      let request: MailboxRequest
      try {
        request = MailboxRequest.decode(frame, { limits: { ids: MAX_ACK_IDS } })
      } catch (err) {
        backend.log?.('undecodable mailbox request from %s: %s', remote, (err as Error).message)
        await send({ status: MailboxResponse.Status.INVALID, error: 'malformed MailboxRequest' })
        await closeAfterReply(stream)
        return
      }
      if (!backend.enabled()) {
        await send({ status: MailboxResponse.Status.DISABLED, error: 'this node does not serve as a mailbox' })
        continue
      }
      try {
        backend.admit?.(remote, request.type)
        switch (request.type) {
          case MailboxRequest.Type.DEPOSIT: {
            const envelope = await verifyEnvelope(request.envelope)
            await backend.deposit({ recipient: envelope.recipient.peerId.toString(), depositor: remote, id: envelope.body.id, envelope: request.envelope, stamp: request.stamp })
            await send({})
            break
          }
          case MailboxRequest.Type.CHALLENGE:
            nonce = randomBytes(32)
            authorized = undefined
            await send({ nonce })
            break
          case MailboxRequest.Type.FETCH: {
            const recipient = peerFromBytes(request.recipient, 'fetch recipient')
            // the nonce is single-use: whatever the outcome, a second FETCH needs a new CHALLENGE
            const challenge = nonce
            nonce = undefined
            const proof = challenge != null && await recipient.publicKey.verify(fetchSigningBytes(ownPeer, challenge), request.signature)
            if (!proof) {
              await send({ status: MailboxResponse.Status.UNAUTHORIZED, error: 'fetch needs a signature by the recipient key over a fresh, unused challenge' })
              break
            }
            if (authorized !== recipient.peerId.toString()) {
              lastReturned = undefined
            }
            authorized = recipient.peerId.toString()
            // limit 0 (proto3 cannot tell it from absent) means "as many as the mailbox allows"
            const limit = Math.min(request.limit > 0 ? request.limit : MAX_FETCH_ENVELOPES, MAX_FETCH_ENVELOPES)
            let after: string | undefined
            if (request.after.byteLength === MESSAGE_ID_BYTES) {
              const afterId = uint8ArrayToString(request.after, 'base16')
              after = lastReturned?.id === afterId ? lastReturned.position : backend.positionOf?.(authorized, request.after)
            }
            const held = await backend.fetch(authorized, limit + 1, after)
            const envelopes: Uint8Array[] = []
            let bytes = 0
            for (const h of held.slice(0, limit)) {
              if (bytes + h.envelope.byteLength > MAX_FETCH_REPLY_BYTES) {
                break
              }
              bytes += h.envelope.byteLength
              envelopes.push(h.envelope)
            }
            const last = held[envelopes.length - 1]
            if (last != null) {
              lastReturned = { id: uint8ArrayToString(last.id, 'base16'), position: last.position }
            }
            await send({ envelopes, more: held.length > envelopes.length })
            break
          }
          case MailboxRequest.Type.ACK:
            if (authorized == null) {
              await send({ status: MailboxResponse.Status.UNAUTHORIZED, error: 'ACK needs a successful FETCH first on this stream' })
              break
            }
            if (request.ids.some(id => id.byteLength !== MESSAGE_ID_BYTES)) {
              await send({ status: MailboxResponse.Status.INVALID, error: 'ids must be 16 bytes' })
              break
            }
            await backend.ack(authorized, request.ids)
            await send({})
            break
          default:
            await send({ status: MailboxResponse.Status.INVALID, error: `unknown request type ${String(request.type)}` })
        }
      } catch (err) {
        await send(refusal(err as Error))
      }
    }
    await stream.close()
  } catch (err) {
    backend.log?.('closing mailbox stream from %s: %s', remote, (err as Error).message)
    stream.abort(err as Error)
  }
}

function refusal (err: Error): Partial<MailboxResponse> {
  const name = err.name
  if (name.endsWith('QuotaExceededError')) {
    return { status: MailboxResponse.Status.QUOTA_EXCEEDED, error: err.message }
  }
  if (name === 'MessageTooLargeError') {
    return { status: MailboxResponse.Status.TOO_LARGE, error: err.message }
  }
  if (name === 'RateLimitedError') {
    const retryAfterMs = (err as Error & { retryAfterMs?: number }).retryAfterMs
    return { status: MailboxResponse.Status.RATE_LIMITED, error: err.message, retryAfterMs: retryAfterMs != null && Number.isFinite(retryAfterMs) ? Math.min(Math.ceil(retryAfterMs), 0xffff_ffff) : 0 }
  }
  if (name === 'DepositStampRequiredError') {
    return { status: MailboxResponse.Status.STAMP_REQUIRED, error: err.message, requiredDifficulty: (err as Error & { requiredDifficulty: number }).requiredDifficulty }
  }
  if (isTransientStoreError(err)) {
    // the mailbox's own disk or database: "try later", not "your envelope is bad"
    return { status: MailboxResponse.Status.UNAVAILABLE, error: 'the mailbox cannot store envelopes now; try later', retryAfterMs: 5_000 }
  }
  return { status: MailboxResponse.Status.INVALID, error: err.message }
}

/** Who pays a deposit stamp when a mailbox asks for one (PROTOCOL.md §9.3). */
export interface DepositPayer {
  /** The depositor's own peer id bytes (the stamp's S; the remote peer the mailbox sees). */
  self: Uint8Array
  /** The mailbox's peer id bytes (the stamp's R). */
  mailbox: Uint8Array
  /** Highest difficulty paid; a mailbox asking more is refused. @default 24 */
  maxDifficulty?: number
}

/** A client session on one mailbox stream. */
export class MailboxClient {
  private readonly lp: LengthPrefixedStream<Stream>
  private readonly payer?: DepositPayer
  readonly stream: Stream

  /** With `payer`, a `STAMP_REQUIRED` deposit is answered by minting the stamp and depositing again, once. */
  constructor (stream: Stream, options: { payer?: DepositPayer } = {}) {
    this.stream = stream
    this.payer = options.payer
    this.lp = boundedLpStream(stream, MAX_FETCH_REPLY_BYTES + 64 * 1024)
  }

  /**
   * Deposits an envelope, with a deposit stamp when given (PROTOCOL.md §9.3).
   * Throws {@link MailboxRefusedError} with the status on refusal.
   */
  async deposit (envelope: Uint8Array, options: { signal?: AbortSignal, stamp?: Uint8Array } = {}): Promise<void> {
    try {
      await this.call({ type: MailboxRequest.Type.DEPOSIT, envelope, stamp: options.stamp ?? new Uint8Array(0) }, options)
    } catch (err) {
      const e = err as Error & { status?: string, requiredDifficulty?: number }
      const payer = this.payer
      if (payer == null || options.stamp != null || e.name !== 'MailboxRefusedError' || e.status !== 'STAMP_REQUIRED') {
        throw err
      }
      // a mailbox that does not know this depositor wants work first: pay once, for a credit
      const difficulty = e.requiredDifficulty ?? DEFAULT_DIFFICULTY
      if (difficulty > (payer.maxDifficulty ?? DEFAULT_MAX_PAY_DIFFICULTY)) {
        throw err
      }
      const stamp = await mintStamp({ sender: payer.self, recipient: payer.mailbox, difficulty, signal: options.signal })
      await this.call({ type: MailboxRequest.Type.DEPOSIT, envelope, stamp: encodeStamp(stamp) }, options)
    }
  }

  /**
   * Deposits several envelopes on this stream, pipelined (PROTOCOL.md §9.2,
   * 1.3): every request is written before the replies are read, one reply per
   * request, in order. Resolves with one entry per envelope: `undefined` when
   * the mailbox stored it, else the {@link MailboxRefusedError} it answered.
   * A mailbox asking for a deposit stamp gets one, minted once for the refused
   * envelopes (one stamp buys a credit for many, §9.3); they are sent again,
   * the first with the stamp. Throws when the stream fails: what has no
   * answer then is not known to be stored.
   */
  async depositMany (envelopes: Uint8Array[], options: { signal?: AbortSignal } = {}): Promise<Array<MailboxRefusedError | undefined>> {
    if (envelopes.length > MAX_DEPOSIT_PIPELINE) {
      throw new RangeError(`at most ${MAX_DEPOSIT_PIPELINE} deposits are pipelined at once`)
    }
    const results = await this.pipeline(envelopes.map(envelope => ({ envelope, stamp: new Uint8Array(0) })), options)
    const payer = this.payer
    // each round pays one stamp and sends the refused ones again: the first carries it, the rest use the credit it buys
    for (let round = 0; payer != null && round < envelopes.length; round++) {
      const refused = results.flatMap((r, i) => r?.status === 'STAMP_REQUIRED' ? [i] : [])
      const first = refused[0]
      if (first == null) {
        break
      }
      const difficulty = results[first]?.requiredDifficulty ?? DEFAULT_DIFFICULTY
      if (difficulty > (payer.maxDifficulty ?? DEFAULT_MAX_PAY_DIFFICULTY)) {
        break
      }
      const stamp = encodeStamp(await mintStamp({ sender: payer.self, recipient: payer.mailbox, difficulty, signal: options.signal }))
      const again = await this.pipeline(refused.map((i, j) => ({ envelope: envelopes[i] as Uint8Array, stamp: j === 0 ? stamp : new Uint8Array(0) })), options)
      refused.forEach((i, j) => { results[i] = again[j] })
      if (again[0]?.status === 'STAMP_REQUIRED') {
        // the stamp itself was refused: paying again would not help
        break
      }
    }
    return results
  }

  /** Writes one DEPOSIT per item, then reads their replies in order. */
  private async pipeline (items: Array<{ envelope: Uint8Array, stamp: Uint8Array }>, options: { signal?: AbortSignal }): Promise<Array<MailboxRefusedError | undefined>> {
    // the replies are a few bytes each, so the mailbox never waits on us while we write; read and write at once anyway
    const writing = (async () => {
      for (const { envelope, stamp } of items) {
        await this.lp.write(encodeRequest({ type: MailboxRequest.Type.DEPOSIT, envelope, stamp }), options)
      }
    })()
    const failedWrite = writing.then(() => undefined, (err: Error) => err)
    const results: Array<MailboxRefusedError | undefined> = []
    try {
      for (let i = 0; i < items.length; i++) {
        results.push(refusalOf(MailboxResponse.decode(await this.lp.read(options), { limits: { envelopes: MAX_FETCH_ENVELOPES } })))
      }
    } catch (err) {
      throw (await failedWrite) ?? err
    }
    const err = await failedWrite
    if (err != null) {
      throw err
    }
    return results
  }

  /**
   * Proves ownership of `key` to the mailbox `mailboxPeer` and fetches every
   * envelope held for it, acknowledging each batch after `onBatch` accepted it.
   */
  async fetchAll (key: Ed25519PrivateKey, self: Uint8Array, mailboxPeer: Uint8Array, onBatch: (envelopes: Uint8Array[]) => Promise<Uint8Array[]>, options: { signal?: AbortSignal } = {}): Promise<number> {
    let total = 0
    // paging: each FETCH continues after the last envelope of the previous reply, so envelopes this
    // node leaves in place (to process later) cannot hide the ones behind them
    let after = new Uint8Array(0)
    let previousFirst: string | undefined
    for (let round = 0; round < 1000; round++) {
      // a challenge nonce is good for one FETCH (PROTOCOL.md §9.4)
      const { nonce } = await this.call({ type: MailboxRequest.Type.CHALLENGE }, options)
      const signature = await key.sign(fetchSigningBytes(mailboxPeer, nonce))
      const reply = await this.call({ type: MailboxRequest.Type.FETCH, recipient: self, signature, limit: MAX_FETCH_ENVELOPES, after }, options)
      if (reply.envelopes.length === 0) {
        break
      }
      const ids = reply.envelopes.map(heldId)
      const first = ids[0] ?? ''
      if (first === previousFirst) {
        // a 1.0 mailbox ignores `after`: the same page again means nothing more can be reached
        break
      }
      previousFirst = first
      const done = await onBatch(reply.envelopes)
      total += reply.envelopes.length
      for (let i = 0; i < done.length; i += MAX_ACK_IDS) {
        await this.call({ type: MailboxRequest.Type.ACK, ids: done.slice(i, i + MAX_ACK_IDS) }, options)
      }
      const last = ids[ids.length - 1]
      if (!reply.more || last == null || last === '') {
        break
      }
      after = uint8ArrayFromString(last, 'base16')
    }
    return total
  }

  async close (): Promise<void> {
    await this.stream.close().catch(() => { this.stream.abort(new Error('close failed')) })
  }

  private async call (request: Partial<MailboxRequest>, options: { signal?: AbortSignal }): Promise<MailboxResponse> {
    await this.lp.write(encodeRequest(request), options)
    const response = MailboxResponse.decode(await this.lp.read(options), { limits: { envelopes: MAX_FETCH_ENVELOPES } })
    const refused = refusalOf(response)
    if (refused != null) {
      throw refused
    }
    return response
  }
}

function encodeRequest (request: Partial<MailboxRequest>): Uint8Array {
  return MailboxRequest.encode({ type: MailboxRequest.Type.DEPOSIT, envelope: new Uint8Array(0), recipient: new Uint8Array(0), signature: new Uint8Array(0), limit: 0, ids: [], ...request })
}

/** The refusal a reply says, or `undefined` for `OK`. */
function refusalOf (response: MailboxResponse): MailboxRefusedError | undefined {
  if (response.status === MailboxResponse.Status.OK) {
    return undefined
  }
  const status = MailboxResponse.Status[response.status] ?? String(response.status)
  return new MailboxRefusedError(`mailbox refused: ${status}${response.error !== '' ? ` (${response.error})` : ''}`, String(status), {
    requiredDifficulty: response.requiredDifficulty > 0 ? response.requiredDifficulty : undefined,
    retryAfterMs: response.retryAfterMs > 0 ? response.retryAfterMs : undefined
  })
}

/** The id of a fetched envelope, lowercase hex; empty when it does not parse. */
function heldId (envelope: Uint8Array): string {
  try {
    const id = EnvelopeBody.decode(SignedEnvelope.decode(envelope).body).id
    return id.byteLength === MESSAGE_ID_BYTES ? uint8ArrayToString(id, 'base16') : ''
  } catch {
    return ''
  }
}
