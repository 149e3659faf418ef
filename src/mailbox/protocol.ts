/**
 * The `/natter/mailbox/1.0.0` stream protocol (PROTOCOL.md §9): depositing
 * opaque envelopes with ordinary peers for an offline recipient, and fetching
 * them back with a signed challenge. Wire only; quotas and storage are the
 * backend's business.
 */
import { logger } from '@libp2p/logger'
import { randomBytes } from '@noble/hashes/utils.js'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { MAX_ENVELOPE_BYTES, MESSAGE_ID_BYTES, verifyEnvelope } from '../crypto/envelope.js'
import { peerFromBytes } from '../crypto/peer.js'
import { closeAfterReply } from '../network/close.js'
import { boundedLpStream } from '../network/length-prefixed.js'
import { MailboxRefusedError } from './errors.js'
import { MailboxRequest, MailboxResponse } from '../protocol/mailbox.js'
import type { Connection, Ed25519PrivateKey, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'

export { MailboxRequest, MailboxResponse }

const log = logger('natter:mailbox')

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
}

/** Storage and policy behind the mailbox protocol. Methods throw named errors to refuse. */
export interface MailboxBackend {
  /** False when this node opted out of serving as a mailbox. */
  enabled(): boolean
  /**
   * Stores a verified envelope. Throws `MailboxQuotaExceededError` (or any
   * error whose name ends in `QuotaExceededError`) when full, `RateLimitedError` when throttled.
   */
  deposit(entry: { recipient: string, depositor: string, id: Uint8Array, envelope: Uint8Array }): void | Promise<void>
  /** Oldest-first envelopes held for `recipient`. */
  fetch(recipient: string, limit: number): HeldEnvelope[] | Promise<HeldEnvelope[]>
  /** Deletes envelopes the recipient acknowledged. */
  ack(recipient: string, ids: Uint8Array[]): void | Promise<void>
  /** Optional admission check per request (rate limits, block list); throw to refuse. */
  admit?(peer: string, type: MailboxRequest.Type): void
}

/** Serves one inbound mailbox stream. */
export async function handleMailboxStream (stream: Stream, connection: Connection, ownPeer: Uint8Array, backend: MailboxBackend): Promise<void> {
  const lp = boundedLpStream(stream, MAX_MAILBOX_REQUEST_BYTES)
  const remote = connection.remotePeer.toString()
  let nonce: Uint8Array | undefined
  let authorized: string | undefined
  const send = async (response: Partial<MailboxResponse>): Promise<void> => {
    await lp.write(MailboxResponse.encode({ status: MailboxResponse.Status.OK, error: '', nonce: new Uint8Array(0), envelopes: [], more: false, ...response }), { signal: AbortSignal.timeout(10_000) })
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
        log('undecodable mailbox request from %s: %s', remote, (err as Error).message)
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
            await backend.deposit({ recipient: envelope.recipient.peerId.toString(), depositor: remote, id: envelope.body.id, envelope: request.envelope })
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
            const proof = nonce != null && await recipient.publicKey.verify(fetchSigningBytes(ownPeer, nonce), request.signature)
            if (!proof) {
              await send({ status: MailboxResponse.Status.UNAUTHORIZED, error: 'fetch needs a signature by the recipient key over a fresh challenge' })
              break
            }
            authorized = recipient.peerId.toString()
            const limit = Math.min(request.limit > 0 ? request.limit : MAX_FETCH_ENVELOPES, MAX_FETCH_ENVELOPES)
            const held = await backend.fetch(authorized, limit + 1)
            const envelopes: Uint8Array[] = []
            let bytes = 0
            for (const h of held.slice(0, limit)) {
              if (bytes + h.envelope.byteLength > MAX_FETCH_REPLY_BYTES) {
                break
              }
              bytes += h.envelope.byteLength
              envelopes.push(h.envelope)
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
    log('closing mailbox stream from %s: %s', remote, (err as Error).message)
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
    return { status: MailboxResponse.Status.RATE_LIMITED, error: err.message }
  }
  return { status: MailboxResponse.Status.INVALID, error: err.message }
}

/** A client session on one mailbox stream. */
export class MailboxClient {
  private readonly lp: LengthPrefixedStream<Stream>
  readonly stream: Stream

  constructor (stream: Stream) {
    this.stream = stream
    this.lp = boundedLpStream(stream, MAX_FETCH_REPLY_BYTES + 64 * 1024)
  }

  /** Deposits an envelope. Throws {@link MailboxRefusedError} with the status on refusal. */
  async deposit (envelope: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.call({ type: MailboxRequest.Type.DEPOSIT, envelope }, options)
  }

  /**
   * Proves ownership of `key` to the mailbox `mailboxPeer` and fetches every
   * envelope held for it, acknowledging each batch after `onBatch` accepted it.
   */
  async fetchAll (key: Ed25519PrivateKey, self: Uint8Array, mailboxPeer: Uint8Array, onBatch: (envelopes: Uint8Array[]) => Promise<Uint8Array[]>, options: { signal?: AbortSignal } = {}): Promise<number> {
    const { nonce } = await this.call({ type: MailboxRequest.Type.CHALLENGE }, options)
    const signature = await key.sign(fetchSigningBytes(mailboxPeer, nonce))
    let total = 0
    for (let round = 0; round < 1000; round++) {
      const reply = await this.call({ type: MailboxRequest.Type.FETCH, recipient: self, signature, limit: MAX_FETCH_ENVELOPES }, options)
      if (reply.envelopes.length === 0) {
        break
      }
      const done = await onBatch(reply.envelopes)
      total += reply.envelopes.length
      for (let i = 0; i < done.length; i += MAX_ACK_IDS) {
        await this.call({ type: MailboxRequest.Type.ACK, ids: done.slice(i, i + MAX_ACK_IDS) }, options)
      }
      if (!reply.more || done.length === 0) {
        break
      }
    }
    return total
  }

  async close (): Promise<void> {
    await this.stream.close().catch(() => { this.stream.abort(new Error('close failed')) })
  }

  private async call (request: Partial<MailboxRequest>, options: { signal?: AbortSignal }): Promise<MailboxResponse> {
    await this.lp.write(MailboxRequest.encode({ type: MailboxRequest.Type.DEPOSIT, envelope: new Uint8Array(0), recipient: new Uint8Array(0), signature: new Uint8Array(0), limit: 0, ids: [], ...request }), options)
    const response = MailboxResponse.decode(await this.lp.read(options), { limits: { envelopes: MAX_FETCH_ENVELOPES } })
    if (response.status !== MailboxResponse.Status.OK) {
      const status = MailboxResponse.Status[response.status] ?? String(response.status)
      throw new MailboxRefusedError(`mailbox refused: ${status}${response.error !== '' ? ` (${response.error})` : ''}`, String(status))
    }
    return response
  }
}
