/**
 * Named errors of the network layer's bounds. kad-dht turns a thrown error
 * into a failed request for the remote peer; locally they are logged.
 *
 * @module
 */
import { NatterError } from '../errors.js'

/** A peer asked the DHT to store more than its share (rate, per-peer quota, size), or the store is full of local records. */
export class DhtQuotaError extends NatterError {
  /** Which bound refused the record: `rate`, `peer-quota`, `size` or `full`. */
  readonly reason: 'rate' | 'peer-quota' | 'size' | 'full'
  constructor (message: string, reason: DhtQuotaError['reason'], options?: ErrorOptions) {
    super(message, options)
    this.name = 'DhtQuotaError'
    this.reason = reason
  }
}

/** A DHT PUT carried an older record than the one stored (a rollback): the selector's rule applies to PUTs too. */
export class StaleDhtRecordError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StaleDhtRecordError'
  }
}
