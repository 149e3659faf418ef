/**
 * The cryptography of group conversations (PROTOCOL.md §12.4, §12.6): sender
 * chains (an HMAC-SHA256 ratchet, one message key per step, each step's key
 * forgotten once used), frames sealed with ChaCha20-Poly1305 under the step's
 * key and signed with the chain's own Ed25519 key, membership ops signed with
 * the author's identity key, and the topic name derived from the group
 * secret. Primitives from node:crypto (src/crypto/native.ts).
 *
 * @module
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { chacha20poly1305Decrypt, chacha20poly1305Encrypt, ed25519Sign, ed25519Verify, hkdfSha256, hmacSha256 } from '../crypto/native.js'
import { GroupFrame, GroupOp, GroupPlaintext, SignedGroupOp } from '../pb/group.js'
import {
  FRAME_SIGNATURE_LABEL, GROUP_TOPIC_PREFIX, MAX_GROUP_TEXT_BYTES, MESSAGE_KEY_INFO, OP_SIGNATURE_LABEL, PAD_BUCKETS, TOPIC_INFO
} from './constants.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

const utf8 = (s: string): Uint8Array => uint8ArrayFromString(s)
const ZERO_SALT = new Uint8Array(32)
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex')

/** 8-byte big-endian encoding of a chain iteration. */
export function be64 (n: bigint): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, n)
  return out
}

/** Hex SHA-256. */
export function sha256 (data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}

/** The string form of a group id: base32 lowercase multibase (`b…`). */
export function groupIdString (bytes: Uint8Array): string {
  return 'b' + uint8ArrayToString(bytes, 'base32')
}

/** The bytes of a group id string; throws on anything else than 32 bytes of `b…` base32. */
export function groupIdBytes (id: string): Uint8Array {
  if (!id.startsWith('b')) throw new RangeError('group id is not base32 multibase')
  const bytes = uint8ArrayFromString(id.slice(1), 'base32')
  if (bytes.byteLength !== 32) throw new RangeError('group id is not 32 bytes')
  return bytes
}

/** Fresh random bytes. */
export function random (n: number): Uint8Array {
  return new Uint8Array(randomBytes(n))
}

/** The gossipsub topic of a group: a name derived from the group secret, so neither a relay nor a non-member can link it to the group (§12.6). */
export function groupTopic (secret: Uint8Array): string {
  return GROUP_TOPIC_PREFIX + uint8ArrayToString(hkdfSha256(secret, ZERO_SALT, utf8(TOPIC_INFO), 16), 'base32')
}

// ---- sender chains (§12.4) ----

/** A chain's state: the key of its next step and that step's number. */
export interface ChainState {
  chainKey: Uint8Array
  iteration: bigint
}

/** The message key of the chain's current step, and the chain moved one step on. */
export function chainStep (state: ChainState): { messageKey: Uint8Array, next: ChainState } {
  return {
    messageKey: hmacSha256(state.chainKey, Uint8Array.of(1)),
    next: { chainKey: hmacSha256(state.chainKey, Uint8Array.of(2)), iteration: state.iteration + 1n }
  }
}

/** A new sender chain: random chain key, iteration 0, a fresh Ed25519 signing key (seed and public). */
export function newChain (): { keyId: Uint8Array, chainKey: Uint8Array, signingSeed: Uint8Array, signingKey: Uint8Array } {
  const pair = generateKeyPairSync('ed25519')
  const seed = new Uint8Array(pair.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32))
  const pub = new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32))
  return { keyId: random(16), chainKey: random(32), signingSeed: seed, signingKey: pub }
}

const seedKeys = new Map<string, KeyObject>()
function seedKey (seed: Uint8Array): KeyObject {
  const id = Buffer.from(seed).toString('base64')
  let key = seedKeys.get(id)
  if (key == null) {
    key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, seed]), format: 'der', type: 'pkcs8' })
    if (seedKeys.size >= 256) seedKeys.delete(seedKeys.keys().next().value as string)
    seedKeys.set(id, key)
  }
  return key
}

function messageKeyMaterial (messageKey: Uint8Array): { key: Uint8Array, nonce: Uint8Array } {
  const okm = hkdfSha256(messageKey, ZERO_SALT, utf8(MESSAGE_KEY_INFO), 44)
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) }
}

function frameAad (groupId: Uint8Array, keyId: Uint8Array, iteration: bigint): Uint8Array {
  return uint8ArrayConcat([utf8(FRAME_SIGNATURE_LABEL), groupId, keyId, be64(iteration)])
}

function frameSigned (keyId: Uint8Array, iteration: bigint, ciphertext: Uint8Array): Uint8Array {
  return uint8ArrayConcat([utf8(FRAME_SIGNATURE_LABEL), keyId, be64(iteration), ciphertext])
}

/** The bucket a plaintext of `n` bytes is padded to. */
export function padBucket (n: number): number {
  for (const b of PAD_BUCKETS) if (n <= b) return b
  return Math.ceil(n / 1024) * 1024
}

/** Encodes `plain` padded to its bucket (the padding field's own tag and length included). */
export function encodePadded (plain: Omit<GroupPlaintext, 'padding'>): Uint8Array {
  const bare = GroupPlaintext.encode({ ...plain, padding: new Uint8Array() })
  const target = padBucket(bare.byteLength + 3)
  // tag (1 byte) + length varint (1 or 2 bytes for < 16384) + padding
  let pad = target - bare.byteLength - 2
  if (pad > 127) pad -= 1
  return GroupPlaintext.encode({ ...plain, padding: new Uint8Array(Math.max(0, pad)) })
}

/** Seals a plaintext under `messageKey` (step `iteration` of chain `keyId`) and signs the frame. */
export function sealFrame (args: { groupId: Uint8Array, keyId: Uint8Array, iteration: bigint, messageKey: Uint8Array, signingSeed: Uint8Array, plaintext: Omit<GroupPlaintext, 'padding'> }): GroupFrame {
  const { key, nonce } = messageKeyMaterial(args.messageKey)
  if (Buffer.byteLength(args.plaintext.text) > MAX_GROUP_TEXT_BYTES) throw new RangeError(`group text exceeds ${MAX_GROUP_TEXT_BYTES} bytes`)
  const ciphertext = chacha20poly1305Encrypt(key, nonce, frameAad(args.groupId, args.keyId, args.iteration), encodePadded(args.plaintext))
  const signature = new Uint8Array(sign(null, frameSigned(args.keyId, args.iteration, ciphertext), seedKey(args.signingSeed)))
  return { keyId: args.keyId, iteration: args.iteration, ciphertext, signature }
}

/** Whether the frame carries the chain's signature. */
export function verifyFrame (frame: GroupFrame, signingKey: Uint8Array): boolean {
  return ed25519Verify(signingKey, frameSigned(frame.keyId, frame.iteration, frame.ciphertext), frame.signature)
}

/** Opens a verified frame with its step's message key; throws when it does not open (wrong key, other group, tampered). */
export function openFrame (frame: GroupFrame, groupId: Uint8Array, messageKey: Uint8Array): GroupPlaintext {
  const { key, nonce } = messageKeyMaterial(messageKey)
  const plain = GroupPlaintext.decode(chacha20poly1305Decrypt(key, nonce, frameAad(groupId, frame.keyId, frame.iteration), frame.ciphertext))
  if (!Buffer.from(plain.groupId).equals(Buffer.from(groupId))) throw new RangeError('frame is for another group')
  return plain
}

// ---- membership ops (§12.3) ----

/** Signs `op` with the author's identity key. */
export function signOp (key: Ed25519PrivateKey, op: GroupOp): Uint8Array {
  const bytes = GroupOp.encode(op)
  return SignedGroupOp.encode({ op: bytes, signature: ed25519Sign(key, uint8ArrayConcat([utf8(OP_SIGNATURE_LABEL), bytes])) })
}

/** Whether `signature` is the author's signature of the encoded op. */
export function verifyOpSignature (authorKey: Uint8Array, op: Uint8Array, signature: Uint8Array): boolean {
  return ed25519Verify(authorKey, uint8ArrayConcat([utf8(OP_SIGNATURE_LABEL), op]), signature)
}

/** An op's hash (its name): SHA-256 of the encoded SignedGroupOp, hex. */
export function opHash (signed: Uint8Array): string {
  return uint8ArrayToString(sha256(signed), 'base16')
}
