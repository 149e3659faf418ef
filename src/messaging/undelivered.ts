/**
 * The error `send` throws for a message that was not delivered (yet): always
 * a named library error, carrying the message's id.
 *
 * @module
 */
import { DeliveryTimeoutError, NatterError, PeerUnreachableError } from '../base-errors.js'

/**
 * `err` as a {@link NatterError} naming message `id`: a library error as it
 * is; a stream or dial error from below (libp2p's `AbortError`,
 * `TimeoutError`, a reset stream) as what it means for the message; no error
 * at all as `fallback()`.
 */
export function undelivered (id: string, err: Error | undefined, fallback: () => NatterError): NatterError {
  let e: NatterError
  if (err instanceof NatterError) {
    e = err
  } else if (err != null) {
    e = err.name === 'AbortError' || err.name === 'TimeoutError'
      ? new DeliveryTimeoutError(`no acknowledgement in time: ${err.message}`, { cause: err })
      : new PeerUnreachableError(`delivery failed: ${err.message}`, { cause: err })
  } else {
    e = fallback()
  }
  e.messageId = id
  return e
}
