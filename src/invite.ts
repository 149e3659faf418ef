/**
 * Invites (PROTOCOL.md §7): a string carrying a peer id and the addresses it
 * can be reached on, so a fresh node can add a contact and join the network
 * through it without any natter-run infrastructure.
 *
 * Format: `natter:` followed by the base64url (no padding) encoding of an
 * `Invite` protobuf message.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { InvalidPeerIdError } from './base-errors.js'
import { parsePeerId, peerFromBytes } from './crypto/peer.js'
import { Invite as InviteMessage } from './pb/invite.js'

/** The prefix every invite string starts with. */
export const INVITE_PREFIX = 'natter:'
const MAX_INVITE_CHARS = 4096

/** What an invite carries. */
export interface Invite {
  peerId: string
  /** Multiaddrs, each ending in `/p2p/<peerId>`. */
  addresses: string[]
  /** The inviter's suggested name for themselves; may be empty. */
  name: string
}

/** Encodes an invite string. */
export function encodeInvite (invite: Invite): string {
  const peer = parsePeerId(invite.peerId)
  const bytes = InviteMessage.encode({
    peerId: peer.bytes,
    addresses: invite.addresses.map(a => multiaddr(a).bytes),
    name: invite.name
  })
  return INVITE_PREFIX + uint8ArrayToString(bytes, 'base64url')
}

/** True if `value` looks like an invite (starts with `natter:`). */
export function isInvite (value: string): boolean {
  return value.startsWith(INVITE_PREFIX)
}

/** Decodes and validates an invite string. Throws {@link InvalidPeerIdError}. */
export function decodeInvite (value: string): Invite {
  const text = value.trim()
  if (!isInvite(text) || text.length > MAX_INVITE_CHARS) {
    throw new InvalidPeerIdError('not a natter invite (it should start with "natter:")')
  }
  let message: InviteMessage
  try {
    message = InviteMessage.decode(uint8ArrayFromString(text.slice(INVITE_PREFIX.length), 'base64url'), { limits: { addresses: 32 } })
  } catch (err) {
    throw new InvalidPeerIdError('the invite is damaged (it could not be decoded)', { cause: err })
  }
  let peerId: string
  let addresses: string[]
  try {
    peerId = peerFromBytes(message.peerId, 'invite peer id').peerId.toString()
    addresses = message.addresses.map(bytes => {
      const ma = multiaddr(bytes).toString()
      return ma.includes('/p2p/') ? ma : `${ma}/p2p/${peerId}`
    })
  } catch (err) {
    throw new InvalidPeerIdError('the invite is damaged (bad peer id or address)', { cause: err })
  }
  return { peerId, addresses, name: message.name }
}
