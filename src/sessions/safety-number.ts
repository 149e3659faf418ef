/**
 * Safety numbers (PROTOCOL.md §6.9): a 60-digit number two people compute
 * from their two identity keys, compare out of band (read aloud, or scan the
 * other's QR code) and get the same, whoever computes it.
 *
 * Signal's numeric fingerprint, with natter's keys: for each party,
 * ```
 * h = SHA-512(u16be(0) ‖ pub (32) ‖ peer id bytes (38) ‖ pub)
 * repeat 5199 times: h = SHA-512(h ‖ pub)
 * digits(party) = for i in 0..5: u40be(h[5i .. 5i+5]) mod 100000, as 5 decimal digits
 * ```
 * and the safety number is the two 30-digit halves in ascending order.
 *
 * @module
 */
import { sha512 } from '@noble/hashes/sha2.js'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import type { Ed25519Peer } from '../crypto/peer.js'

/** Version of the construction, hashed in first. */
export const SAFETY_NUMBER_VERSION = 0
/** SHA-512 iterations per party. */
export const SAFETY_NUMBER_ITERATIONS = 5200
/** Prefix of the QR payload. */
export const SAFETY_NUMBER_QR_PREFIX = 'natter-safety-number:0:'

/** A safety number for one pair of identities. */
export interface SafetyNumber {
  /** 60 decimal digits. */
  digits: string
  /** The digits in twelve groups of five, for display. */
  groups: string[]
  /** What the QR code encodes: {@link SAFETY_NUMBER_QR_PREFIX} followed by the 60 digits. */
  qr: string
}

/** The 30-digit half of one party: its public key and peer id bytes. */
export function fingerprintDigits (party: Pick<Ed25519Peer, 'bytes'> & { publicKey: { raw: Uint8Array } }): string {
  const key = party.publicKey.raw
  let hash = sha512(uint8ArrayConcat([Uint8Array.of(SAFETY_NUMBER_VERSION >> 8, SAFETY_NUMBER_VERSION & 0xff), key, party.bytes, key]))
  for (let i = 1; i < SAFETY_NUMBER_ITERATIONS; i++) {
    hash = sha512(uint8ArrayConcat([hash, key]))
  }
  let digits = ''
  for (let i = 0; i < 6; i++) {
    let chunk = 0
    for (const byte of hash.subarray(i * 5, i * 5 + 5)) {
      chunk = chunk * 256 + byte
    }
    digits += String(chunk % 100_000).padStart(5, '0')
  }
  return digits
}

/**
 * The safety number of two identities; the same whichever order they are given in.
 *
 * @example
 * ```ts
 * const { groups } = safetyNumber(parsePeerId(alice), parsePeerId(bob))
 * console.log(groups.join(' '))
 * ```
 */
export function safetyNumber (a: Pick<Ed25519Peer, 'bytes' | 'publicKey'>, b: Pick<Ed25519Peer, 'bytes' | 'publicKey'>): SafetyNumber {
  const halves = [fingerprintDigits(a), fingerprintDigits(b)].sort()
  const digits = halves.join('')
  return {
    digits,
    groups: digits.match(/\d{5}/g) ?? [],
    qr: SAFETY_NUMBER_QR_PREFIX + digits
  }
}
