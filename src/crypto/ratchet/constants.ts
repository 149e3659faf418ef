/**
 * Protocol constants for natter's forward-secret sessions (X3DH + Double Ratchet).
 *
 * Every value here is part of the wire protocol or of a KDF input: changing one breaks
 * interoperability and the test vectors. See `SPEC.md`.
 *
 * @module
 */

const utf8 = new TextEncoder()

/** Version byte that starts every encoding defined by this module (bundle, message, state). */
export const FORMAT_VERSION = 0x01

/** HKDF `info` for the X3DH shared secret. */
export const X3DH_INFO: Uint8Array = utf8.encode('natter-x3dh-v1')

/** HKDF `info` for KDF_RK (root key step of the Double Ratchet). */
export const ROOT_KDF_INFO: Uint8Array = utf8.encode('natter-ratchet-v1-root')

/** HKDF `info` turning a message key into an AEAD key and nonce. */
export const MESSAGE_KDF_INFO: Uint8Array = utf8.encode('natter-ratchet-v1-message')

/** Domain separation prefix of the signed-prekey signature input (followed by one 0x00 byte). */
export const SIGNED_PREKEY_CONTEXT: Uint8Array = utf8.encode('natter-signed-prekey-v1')

/** HMAC input deriving a message key from a chain key (KDF_CK). */
export const CHAIN_MESSAGE_KEY_CONSTANT = 0x01

/** HMAC input deriving the next chain key from a chain key (KDF_CK). */
export const CHAIN_NEXT_KEY_CONSTANT = 0x02

/** Length of X25519 keys, Ed25519 public keys and seeds, root/chain/message keys. */
export const KEY_LENGTH = 32

/** Length of an Ed25519 signature. */
export const SIGNATURE_LENGTH = 64

/** ChaCha20-Poly1305 nonce length (RFC 8439). */
export const NONCE_LENGTH = 12

/** Poly1305 tag length. */
export const TAG_LENGTH = 16

/** Encoded ratchet header: DH public key (32) ‖ PN (u32) ‖ N (u32). */
export const HEADER_LENGTH = 40

/** Encoded X3DH initial header: IK (32) ‖ EK (32) ‖ SPK id (u32) ‖ OPK flag (u8) ‖ OPK id (u32). */
export const INITIAL_HEADER_LENGTH = 73

/** Largest counter value (PN, N) and prekey id representable on the wire. */
export const MAX_UINT32 = 0xffff_ffff

/**
 * Default MAX_SKIP: how many message keys one received message may make us skip in a single
 * receiving chain.
 */
export const DEFAULT_MAX_SKIP = 1000

/**
 * Default bound on the total number of stored skipped message keys across all chains; the oldest
 * are evicted first. Must be at least MAX_SKIP.
 */
export const DEFAULT_MAX_SKIPPED_KEYS = 2000

/** Default number of one-time prekeys created by `createPrekeyStore`. */
export const DEFAULT_ONE_TIME_PREKEYS = 100

/** Default time a rotated-out signed prekey stays usable (30 days, in milliseconds). */
export const DEFAULT_SIGNED_PREKEY_GRACE_MS = 30 * 24 * 60 * 60 * 1000

/** Largest number of one-time prekeys a decoded bundle may carry. */
export const MAX_BUNDLE_ONE_TIME_PREKEYS = 1024
