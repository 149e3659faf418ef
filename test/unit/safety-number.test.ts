/**
 * Safety numbers: both people get the same number, whoever computes it; any
 * other key gives another number.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { parsePeerId } from '../../src/crypto/peer.js'
import { SAFETY_NUMBER_QR_PREFIX, fingerprintDigits, safetyNumber } from '../../src/sessions/safety-number.js'

const peer = async (): Promise<ReturnType<typeof parsePeerId>> => parsePeerId(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())

describe('safety numbers', () => {
  it('is the same number on both sides: 60 digits in twelve groups, and a QR payload', async () => {
    const alice = await peer()
    const bob = await peer()
    const onAlice = safetyNumber(alice, bob)
    const onBob = safetyNumber(bob, alice)
    expect(onAlice).toEqual(onBob)
    expect(onAlice.digits).toMatch(/^\d{60}$/)
    expect(onAlice.groups).toHaveLength(12)
    expect(onAlice.groups.join('')).toBe(onAlice.digits)
    expect(onAlice.qr).toBe(SAFETY_NUMBER_QR_PREFIX + onAlice.digits)
    // the halves are each party's fingerprint, the lower first
    expect([fingerprintDigits(alice), fingerprintDigits(bob)].sort().join('')).toBe(onAlice.digits)
  })

  it('differs when either key differs', async () => {
    const alice = await peer()
    const bob = await peer()
    const mallory = await peer()
    const real = safetyNumber(alice, bob).digits
    expect(safetyNumber(alice, mallory).digits).not.toBe(real)
    expect(safetyNumber(mallory, bob).digits).not.toBe(real)
    // the half of the party that did not change stays: the half that changed shows who it is
    expect(safetyNumber(alice, mallory).digits).toContain(fingerprintDigits(alice))
  })
})
