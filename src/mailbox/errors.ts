import { NatterError } from '../base-errors.js'

/** A mailbox peer refused a request; `status` is the wire status (e.g. `QUOTA_EXCEEDED`, `UNAUTHORIZED`). */
export class MailboxRefusedError extends NatterError {
  readonly status: string
  constructor (message: string, status: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MailboxRefusedError'
    this.status = status
  }
}

/** No mailbox peer could be found or none accepted the envelope. */
export class NoMailboxError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NoMailboxError'
  }
}
