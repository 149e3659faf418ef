/**
 * The bounds of a CONTROL payload (PROTOCOL.md §4.4, protocol 1.2): a small
 * typed message between two peers' nodes — a presence key today, group
 * control later — carried inside the E2E DM channel and never shown as text.
 *
 * @module
 */
import { InvalidMessageError, MessageTooLargeError } from '../base-errors.js'
import type { Payload } from '../pb/envelope.js'

/** The kinds of control payload natter knows (Payload.control_kind). */
export const ControlKind = {
  /** A presence key handed to a contact (PROTOCOL.md §3.6.2). */
  PRESENCE_KEY: 1,
  /** Group control (issue 16, PROTOCOL.md §12.5): ops, sender keys, receipts, catch-up frames. */
  GROUP: 2,
  /**
   * 1.3 (PROTOCOL.md §4.4.1): "I refused what you sent me as a stranger's and know you now: send it again". Empty
   * body; handled by the control channel itself.
   */
  RESEND: 3
} as const

/** Largest control body, in bytes. */
export const MAX_CONTROL_BODY_BYTES = 4096

/** Throws {@link InvalidMessageError} / {@link MessageTooLargeError} for a CONTROL payload out of bounds. */
export function checkControlPayload (payload: Payload): void {
  const kind = payload.controlKind ?? 0
  if (kind < 1) {
    throw new InvalidMessageError('CONTROL payload needs a control_kind >= 1', { reason: 'malformed' })
  }
  if ((payload.controlBody?.byteLength ?? 0) > MAX_CONTROL_BODY_BYTES) {
    throw new MessageTooLargeError(`control body exceeds ${MAX_CONTROL_BODY_BYTES} bytes`)
  }
  if (payload.text.length > 0 || payload.receiptIds.length > 0) {
    throw new InvalidMessageError('CONTROL payload carries text or receipt ids', { reason: 'malformed' })
  }
}
