import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { ed25519 } from '@noble/curves/ed25519.js'
import { peerIdFromMultihash, peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { InvalidMessageError, InvalidPeerIdError } from '../base-errors.js'
import type { Ed25519PublicKey, PeerId } from '@libp2p/interface'

/** A peer id whose public key (Ed25519) is embedded in it, as every natter identity is. */
export interface Ed25519Peer {
  peerId: PeerId
  publicKey: Ed25519PublicKey
  /** The peer id's multihash bytes, as carried on the wire. */
  bytes: Uint8Array
}

/**
 * Parses a base58btc (`12D3Koo…`) peer id string and insists that it embeds
 * an Ed25519 key. Throws {@link InvalidPeerIdError}.
 */
export function parsePeerId (value: string): Ed25519Peer {
  const cached = parsedStrings.get(value)
  if (cached != null) {
    return cached
  }
  const peer = parsePeerIdUncached(value)
  remember(parsedStrings, value, peer)
  return peer
}

function parsePeerIdUncached (value: string): Ed25519Peer {
  let peerId: PeerId
  try {
    peerId = peerIdFromString(value)
  } catch (err) {
    throw new InvalidPeerIdError(`"${value}" is not a valid peer id`, { cause: err })
  }
  return toEd25519Peer(peerId, (why) => new InvalidPeerIdError(`"${value}" ${why}`))
}

/**
 * Parses peer id multihash bytes from the wire. Throws {@link InvalidMessageError}.
 */
export function peerFromBytes (bytes: Uint8Array, what = 'peer id'): Ed25519Peer {
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  const cached = parsedBytes.get(key)
  if (cached != null) {
    return cached
  }
  const peer = peerFromBytesUncached(bytes, what)
  remember(parsedBytes, key, peer)
  return peer
}

/**
 * Peers parsed lately (base58 string or wire bytes → the checked peer): the
 * hot path parses the same few peer ids on every message (base58, multihash,
 * canonical re-encoding, point check). Only valid peers are kept; bounded,
 * oldest dropped first, so a stream of made-up ids only evicts.
 */
const parsedStrings = new Map<string, Ed25519Peer>()
const parsedBytes = new Map<string, Ed25519Peer>()
const PARSED_MAX = 4096

function remember (cache: Map<string, Ed25519Peer>, key: string, peer: Ed25519Peer): void {
  if (cache.size >= PARSED_MAX) {
    cache.delete(cache.keys().next().value as string)
  }
  cache.set(key, peer)
}

function peerFromBytesUncached (bytes: Uint8Array, what: string): Ed25519Peer {
  let peerId: PeerId
  try {
    peerId = peerIdFromMultihash(Digest.decode(bytes))
  } catch (err) {
    throw new InvalidMessageError(`malformed ${what}`, { cause: err, reason: 'malformed' })
  }
  return toEd25519Peer(peerId, (why) => new InvalidMessageError(`${what} ${why}`, { reason: 'malformed' }))
}

/** The Ed25519 peer for a raw 32-byte public key. */
export function peerFromPublicKey (raw: Uint8Array): Ed25519Peer {
  const keyProblem = identityKeyProblem(raw)
  if (keyProblem != null) {
    throw new InvalidPeerIdError(keyProblem)
  }
  const publicKey = publicKeyFromRaw(raw)
  if (publicKey.type !== 'Ed25519') {
    throw new InvalidPeerIdError('not an Ed25519 public key')
  }
  const peerId = peerIdFromPublicKey(publicKey)
  return { peerId, publicKey, bytes: peerId.toMultihash().bytes }
}

/**
 * Why a 32-byte Ed25519 public key cannot be a natter identity, or undefined
 * (PROTOCOL.md §1, protocol 1.1 erratum 10). libp2p verifies signatures with
 * OpenSSL, which, like Go's `ed25519.Verify`, accepts a public key that is a
 * non-canonical encoding (y ≥ p) or a point of small order: with the identity
 * point as key, the signature `R = identity, S = 0` verifies for every
 * message, so anyone could sign as that "peer". Such keys are refused where a
 * natter identity is expected, before any signature is checked.
 */
export function identityKeyProblem (raw: Uint8Array): string | undefined {
  const hex = Buffer.from(raw).toString('hex')
  const known = checkedKeys.get(hex)
  if (known !== undefined) {
    return known === '' ? undefined : known
  }
  const problem = keyProblem(raw)
  if (checkedKeys.size >= CHECKED_KEYS_MAX) {
    checkedKeys.delete(checkedKeys.keys().next().value as string)
  }
  checkedKeys.set(hex, problem ?? '')
  return problem
}

/** Keys already checked (a point decompression each), oldest first; bounded. */
const checkedKeys = new Map<string, string>()
const CHECKED_KEYS_MAX = 4096

function keyProblem (raw: Uint8Array): string | undefined {
  let point
  try {
    point = ed25519.Point.fromBytes(raw, false)
  } catch {
    return 'has a public key that is not a canonically encoded Ed25519 point'
  }
  if (point.isSmallOrder()) {
    return 'has a public key of small order'
  }
  return undefined
}

function toEd25519Peer (peerId: PeerId, error: (why: string) => Error): Ed25519Peer {
  if (peerId.type !== 'Ed25519' || peerId.publicKey == null) {
    throw error('is not an Ed25519 peer id')
  }
  // One key, one peer id. libp2p also accepts other encodings of the same key
  // (another protobuf wire type or field order, unknown fields): each would be
  // a fresh peer id for the same signer, escaping its block and its requests.
  const canonical = peerIdFromPublicKey(peerId.publicKey)
  if (!uint8ArrayEquals(canonical.toMultihash().bytes, peerId.toMultihash().bytes)) {
    throw error('is not the canonical encoding of its key')
  }
  const keyProblem = identityKeyProblem(peerId.publicKey.raw)
  if (keyProblem != null) {
    throw error(keyProblem)
  }
  return { peerId: canonical, publicKey: peerId.publicKey, bytes: canonical.toMultihash().bytes }
}
