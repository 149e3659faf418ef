/**
 * Forward-secret sessions for natter's direct messages (PROTOCOL.md §6):
 * prekey bundles published as validated DHT records, X3DH + Double Ratchet
 * sessions persisted encrypted in the store, the RATCHET envelope scheme, and
 * safety numbers for checking who one talks to.
 *
 * @module
 */
export * from './errors.js'
export {
  MAX_PREKEY_RECORD_AGE_MS, MAX_PREKEY_RECORD_BYTES, PREKEY_KEY_PREFIX, PREKEY_NAMESPACE,
  prekeyRecordKey, selectPrekeyRecord, signPrekeyRecord, validatePrekeyRecord, verifyPrekeyRecord
} from './bundle-record.js'
export type { VerifiedPrekeyRecord, VerifyPrekeyRecordOptions } from './bundle-record.js'
export { createSessionManager } from './manager.js'
export type { SealOptions, SealedEnvelope, SessionManager, SessionManagerComponents, SessionManagerInit } from './manager.js'
export type { PrekeyDht, DhtEvent } from './publisher.js'
export { SAFETY_NUMBER_ITERATIONS, SAFETY_NUMBER_QR_PREFIX, SAFETY_NUMBER_VERSION, fingerprintDigits, safetyNumber } from './safety-number.js'
export type { SafetyNumber } from './safety-number.js'
