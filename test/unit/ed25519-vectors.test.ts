/**
 * test/vectors/ed25519-v1.json (PROTOCOL.md §1, protocol 1.1 erratum 10):
 * natter's verification rejects non-canonical signatures and public keys, and
 * identity keys of small order, wherever a natter identity signs something.
 */
import { readFileSync } from 'node:fs'
import { ed25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { peerFromPublicKey } from '../../src/crypto/peer.js'

interface Case { name: string, publicKey: string, message: string, signature: string, valid: boolean }
const vectors = JSON.parse(readFileSync(new URL('../vectors/ed25519-v1.json', import.meta.url), 'utf8')) as { cases: Case[] }

/** Verification as natter does it: the key must be a natter identity, then libp2p verifies. */
async function natterVerifies (c: Case): Promise<boolean> {
  let peer
  try {
    peer = peerFromPublicKey(Buffer.from(c.publicKey, 'hex'))
  } catch {
    return false
  }
  return peer.publicKey.verify(new TextEncoder().encode(c.message), Buffer.from(c.signature, 'hex'))
}

describe('Ed25519 vectors (test/vectors/ed25519-v1.json)', () => {
  it('has valid and invalid cases', () => {
    expect(vectors.cases.filter(c => c.valid).length).toBeGreaterThan(0)
    expect(vectors.cases.filter(c => !c.valid).length).toBeGreaterThan(2)
  })

  for (const c of vectors.cases) {
    it(`${c.valid ? 'accepts' : 'rejects'}: ${c.name}`, async () => {
      expect(await natterVerifies(c)).toBe(c.valid)
      // the reference: RFC 8032 strict (noble with zip215 off)
      expect(ed25519.verify(Buffer.from(c.signature, 'hex'), new TextEncoder().encode(c.message), Buffer.from(c.publicKey, 'hex'), { zip215: false })).toBe(c.valid)
    })
  }

  it('the valid case is a real signature by seed 11…11', () => {
    const seed = new Uint8Array(32).fill(0x11)
    const c = vectors.cases[0]!
    expect(Buffer.from(ed25519.getPublicKey(seed)).toString('hex')).toBe(c.publicKey)
    expect(Buffer.from(ed25519.sign(new TextEncoder().encode(c.message), seed)).toString('hex')).toBe(c.signature)
  })
})
