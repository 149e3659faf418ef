import { publicKeyFromRaw } from '@libp2p/crypto/keys'
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
  const publicKey = publicKeyFromRaw(raw)
  if (publicKey.type !== 'Ed25519') {
    throw new InvalidPeerIdError('not an Ed25519 public key')
  }
  const peerId = peerIdFromPublicKey(publicKey)
  return { peerId, publicKey, bytes: peerId.toMultihash().bytes }
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
  return { peerId: canonical, publicKey: peerId.publicKey, bytes: canonical.toMultihash().bytes }
}
