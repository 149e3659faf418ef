/**
 * The encrypted key-file format (PROTOCOL.md §6.10): a secret (the identity key,
 * or a backup) sealed under a passphrase with scrypt and XChaCha20-Poly1305.
 *
 * ```
 * offset size
 * 0      13   "NATTER-ENC-V1"
 * 13     1    kind: 0x01 identity key (libp2p protobuf private key), 0x02 backup (UTF-8 JSON)
 * 14     1    kdf: 0x01 scrypt
 * 15     1    log2(N)
 * 16     1    r
 * 17     1    p
 * 18     16   salt
 * 34     24   nonce
 * 58     …    XChaCha20-Poly1305(key, nonce, ad = bytes 0..57).encrypt(secret) (ciphertext ‖ 16-byte tag)
 * key = scrypt(UTF-8(NFC(passphrase)), salt, N, r, p, dkLen = 32)
 * ```
 *
 * The whole header is associated data, so parameters, kind and salt cannot be
 * altered without the tag failing. scrypt runs on libuv's thread pool
 * (OpenSSL's implementation, via `node:crypto`), so it does not block the
 * event loop; the output is the standard scrypt (RFC 7914), checked against
 * `@noble/hashes` in the test vectors.
 *
 * @module
 */
import { scrypt as scryptCallback } from 'node:crypto'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { InvalidArgumentError } from '../base-errors.js'
import { InvalidKeyFileError, WrongPassphraseError } from './errors.js'

/** First bytes of every encrypted key file and backup. */
export const KEY_FILE_MAGIC = uint8ArrayFromString('NATTER-ENC-V1')
/** What an encrypted file holds; bound into the associated data so one cannot pass for the other. */
export const KeyFileKind = Object.freeze({ IDENTITY: 0x01, BACKUP: 0x02 })
export type KeyFileKind = typeof KeyFileKind[keyof typeof KeyFileKind]

/** scrypt cost parameters. */
export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  logN: number
  /** Block size. */
  r: number
  /** Parallelism. */
  p: number
}

/**
 * Default cost: N = 2^17, r = 8, p = 1 (128 MiB; about 0.55 s on the
 * reference 2-core VM with Node 20's OpenSSL, where @noble/hashes takes 2.4 s).
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ logN: 17, r: 8, p: 1 })

const KDF_SCRYPT = 0x01
const SALT_BYTES = 16
const NONCE_BYTES = 24
const TAG_BYTES = 16
/** Length of the header (the associated data). */
export const KEY_FILE_HEADER_BYTES = KEY_FILE_MAGIC.byteLength + 5 + SALT_BYTES + NONCE_BYTES
// what a reader accepts: a crafted file must not make us allocate gigabytes
const MIN_LOG_N = 10
const MAX_LOG_N = 20
const MAX_R = 16
const MAX_P = 4
const MAX_MEMORY = 2 ** 30

/** Options of {@link encryptKeyFile}. */
export interface EncryptKeyFileInit {
  kind: KeyFileKind
  /** @default DEFAULT_SCRYPT */
  scrypt?: ScryptParams
  /** Test hook: fixed salt (16 bytes). @default random */
  salt?: Uint8Array
  /** Test hook: fixed nonce (24 bytes). @default random */
  nonce?: Uint8Array
}

/** Whether `bytes` starts like an encrypted key file. */
export function isEncryptedKeyFile (bytes: Uint8Array): boolean {
  return bytes.byteLength >= KEY_FILE_MAGIC.byteLength && uint8ArrayEquals(bytes.subarray(0, KEY_FILE_MAGIC.byteLength), KEY_FILE_MAGIC)
}

/** Encrypts `secret` under `passphrase`. Throws `InvalidArgumentError` for an empty passphrase. */
export async function encryptKeyFile (secret: Uint8Array, passphrase: string, init: EncryptKeyFileInit): Promise<Uint8Array> {
  const params = init.scrypt ?? DEFAULT_SCRYPT
  checkParams(params, (why) => new InvalidArgumentError(why))
  const salt = init.salt ?? randomBytes(SALT_BYTES)
  const nonce = init.nonce ?? randomBytes(NONCE_BYTES)
  if (salt.byteLength !== SALT_BYTES || nonce.byteLength !== NONCE_BYTES) {
    throw new InvalidArgumentError('salt must be 16 bytes and nonce 24 bytes')
  }
  const header = uint8ArrayConcat([KEY_FILE_MAGIC, Uint8Array.of(init.kind, KDF_SCRYPT, params.logN, params.r, params.p), salt, nonce])
  const key = await passphraseKey(passphrase, salt, params)
  try {
    return uint8ArrayConcat([header, xchacha20poly1305(key, nonce, header).encrypt(secret)])
  } finally {
    key.fill(0)
  }
}

/**
 * Decrypts an encrypted key file of the expected `kind`.
 *
 * @throws {WrongPassphraseError} the passphrase does not open it (or it was altered)
 * @throws {InvalidKeyFileError} not an encrypted key file, unknown version or parameters, or another kind
 */
export async function decryptKeyFile (bytes: Uint8Array, passphrase: string, kind: KeyFileKind): Promise<Uint8Array> {
  const { header, params, salt, nonce, ciphertext } = parseKeyFile(bytes)
  if (header[KEY_FILE_MAGIC.byteLength] !== kind) {
    throw new InvalidKeyFileError(`the file holds ${kindName(header[KEY_FILE_MAGIC.byteLength])}, not ${kindName(kind)}`)
  }
  const key = await passphraseKey(passphrase, salt, params)
  try {
    return xchacha20poly1305(key, nonce, header).decrypt(ciphertext)
  } catch (err) {
    throw new WrongPassphraseError(undefined, { cause: err })
  } finally {
    key.fill(0)
  }
}

/** The scrypt parameters an encrypted key file was written with. Throws {@link InvalidKeyFileError}. */
export function keyFileParams (bytes: Uint8Array): ScryptParams {
  return parseKeyFile(bytes).params
}

/** scrypt (RFC 7914) of the NFC-normalized UTF-8 passphrase; 32 bytes. */
export async function passphraseKey (passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  const password = normalizePassphrase(passphrase)
  const N = 2 ** params.logN
  const maxmem = 2 * 128 * N * params.r + 32 * 1024 * 1024
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, 32, { N, r: params.r, p: params.p, maxmem }, (err, key) => {
      if (err != null) {
        reject(err)
      } else {
        resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength))
      }
    })
  })
}

/** Checks a passphrase and returns its NFC-normalized UTF-8 bytes. Throws `InvalidArgumentError`. */
export function normalizePassphrase (passphrase: unknown): Uint8Array {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new InvalidArgumentError('a passphrase must be a non-empty string')
  }
  return uint8ArrayFromString(passphrase.normalize('NFC'))
}

function parseKeyFile (bytes: Uint8Array): { header: Uint8Array, params: ScryptParams, salt: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array } {
  if (!isEncryptedKeyFile(bytes)) {
    throw new InvalidKeyFileError('not a natter encrypted key file (no NATTER-ENC-V1 header)')
  }
  if (bytes.byteLength < KEY_FILE_HEADER_BYTES + TAG_BYTES) {
    throw new InvalidKeyFileError('encrypted key file is truncated')
  }
  const at = KEY_FILE_MAGIC.byteLength
  if (bytes[at + 1] !== KDF_SCRYPT) {
    throw new InvalidKeyFileError(`unknown key derivation function ${String(bytes[at + 1])}`)
  }
  const params: ScryptParams = { logN: bytes[at + 2] ?? 0, r: bytes[at + 3] ?? 0, p: bytes[at + 4] ?? 0 }
  checkParams(params, (why) => new InvalidKeyFileError(why))
  const saltAt = at + 5
  return {
    header: bytes.subarray(0, KEY_FILE_HEADER_BYTES),
    params,
    salt: bytes.subarray(saltAt, saltAt + SALT_BYTES),
    nonce: bytes.subarray(saltAt + SALT_BYTES, KEY_FILE_HEADER_BYTES),
    ciphertext: bytes.subarray(KEY_FILE_HEADER_BYTES)
  }
}

function checkParams (params: ScryptParams, fail: (why: string) => Error): void {
  const ok = (v: number, min: number, max: number): boolean => Number.isInteger(v) && v >= min && v <= max
  if (!ok(params.logN, MIN_LOG_N, MAX_LOG_N) || !ok(params.r, 1, MAX_R) || !ok(params.p, 1, MAX_P) ||
    128 * 2 ** params.logN * params.r > MAX_MEMORY) {
    throw fail(`scrypt parameters out of range (log2 N ${MIN_LOG_N}..${MAX_LOG_N}, r 1..${MAX_R}, p 1..${MAX_P}, at most 1 GiB)`)
  }
}

function kindName (kind: number | undefined): string {
  return kind === KeyFileKind.IDENTITY ? 'an identity key' : kind === KeyFileKind.BACKUP ? 'a backup' : `kind ${String(kind)}`
}
