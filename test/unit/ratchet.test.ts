import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { describe, it, expect } from 'vitest'
import {
  DuplicateMessageError,
  ExpiredBundleError,
  IdentityMismatchError,
  InvalidBundleError,
  InvalidKeyError,
  RatchetMessageError,
  InvalidSignatureError,
  InvalidStateError,
  RatchetDecryptError,
  RatchetNotReadyError,
  SessionMismatchError,
  TooManySkippedMessagesError,
  UnknownPrekeyError,
  acceptSession,
  createPrekeyStore,
  decodeBundle,
  decodeRatchetMessage,
  decrypt,
  deserializePrekeyStore,
  deserializeSession,
  deserializeState,
  encodeBundle,
  encodeRatchetMessage,
  encrypt,
  exportBundle,
  initReceiver,
  initSender,
  replenishOneTimePrekeys,
  rotateSignedPrekey,
  serializePrekeyStore,
  serializeState,
  signedPrekeySignatureInput,
  startSession,
  x3dhInitiate,
  x3dhRespond
} from '../../src/crypto/ratchet/index.js'
import type {
  EncryptedMessage,
  IdentityKeyPair,
  PrekeyBundle,
  RatchetInit,
  RatchetMessage,
  RatchetState,
  Session
} from '../../src/crypto/ratchet/index.js'

const utf8 = new TextEncoder()
const text = (value: string): Uint8Array => utf8.encode(value)
const read = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

function newIdentity (): IdentityKeyPair {
  const { secretKey, publicKey } = ed25519.keygen()
  return { secretKey, publicKey }
}

/** A receiver/sender pair as set up by X3DH, without X3DH. */
function ratchetPair (init: RatchetInit = {}): { alice: RatchetState, bob: RatchetState, ad: Uint8Array } {
  const sharedKey = randomBytes(32)
  const signedPrekey = x25519.keygen()
  const ad = randomBytes(64)
  return {
    alice: initSender(sharedKey, signedPrekey.publicKey, ad, init),
    bob: initReceiver(sharedKey, signedPrekey, ad, init),
    ad
  }
}

function clone (state: RatchetState): RatchetState {
  return deserializeState(serializeState(state))
}

function contains (haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer
    }
    return true
  }
  return false
}

/** Full session setup through the public session API, with Bob's store and bundle. */
function sessionPair (): { alice: IdentityKeyPair, bob: IdentityKeyPair, a: Session, b: Session } {
  const alice = newIdentity()
  const bob = newIdentity()
  const store = createPrekeyStore(bob, { oneTimePrekeys: 4 })
  const a = startSession(alice, exportBundle(store), { expectedIdentityKey: bob.publicKey })
  const { session: b, plaintext } = acceptSession(bob, store, a.encrypt(text('hello')))
  expect(read(plaintext)).toBe('hello')
  return { alice, bob, a, b }
}

describe('prekey bundles', () => {
  it('encodes deterministically and verifies', () => {
    const bob = newIdentity()
    const store = createPrekeyStore(bob, { oneTimePrekeys: 7 })
    const bundle = exportBundle(store)
    const bytes = encodeBundle(bundle)
    expect(bytes.length).toBe(143 + 36 * 7)
    const decoded = decodeBundle(bytes)
    expect(decoded).toEqual(bundle)
    expect(encodeBundle(decoded)).toEqual(bytes)
    expect(() => { verifyBundleOk(decoded, bob.publicKey) }).not.toThrow()
  })

  it('rejects forged or substituted signatures', () => {
    const bob = newIdentity()
    const mallory = newIdentity()
    const bundle = exportBundle(createPrekeyStore(bob, { oneTimePrekeys: 1 }))

    const flipped = structuredClone(bundle)
    flipped.signedPrekey.signature[5]! ^= 0x01
    expect(() => { verifyBundleOk(flipped, bob.publicKey) }).toThrow(InvalidSignatureError)

    // Mallory swaps in her own signed prekey and signs it with her key, but claims Bob's identity.
    const forged = structuredClone(bundle)
    forged.signedPrekey.publicKey = x25519.keygen().publicKey
    forged.signedPrekey.signature = ed25519.sign(
      signedPrekeySignatureInput(bob.publicKey, forged.signedPrekey.id, forged.signedPrekey.createdAt, forged.signedPrekey.publicKey),
      mallory.secretKey
    )
    expect(() => { verifyBundleOk(forged, bob.publicKey) }).toThrow(InvalidSignatureError)
    expect(() => startSession(newIdentity(), forged)).toThrow(InvalidSignatureError)

    // A signature is bound to createdAt too.
    const redated = structuredClone(bundle)
    redated.signedPrekey.createdAt += 1
    expect(() => { verifyBundleOk(redated, bob.publicKey) }).toThrow(InvalidSignatureError)

    // Mallory's own, validly signed bundle is not Bob's.
    const mallorys = exportBundle(createPrekeyStore(mallory, { oneTimePrekeys: 0 }))
    expect(() => { verifyBundleOk(mallorys, bob.publicKey) }).toThrow(IdentityMismatchError)
    expect(() => startSession(newIdentity(), mallorys, { expectedIdentityKey: bob.publicKey })).toThrow(IdentityMismatchError)
  })

  it('refuses malformed encodings', () => {
    const bytes = encodeBundle(exportBundle(createPrekeyStore(newIdentity(), { oneTimePrekeys: 2 })))
    expect(() => decodeBundle(bytes.subarray(0, bytes.length - 1))).toThrow(InvalidBundleError)
    expect(() => decodeBundle(Uint8Array.from([...bytes, 0]))).toThrow(InvalidBundleError)
    const badVersion = Uint8Array.from(bytes)
    badVersion[0] = 2
    expect(() => decodeBundle(badVersion)).toThrow(InvalidBundleError)
    // Swap the two one-time prekey entries: ids no longer ascending.
    const swapped = Uint8Array.from(bytes)
    swapped.set(bytes.subarray(143 + 36, 143 + 72), 143)
    swapped.set(bytes.subarray(143, 143 + 36), 143 + 36)
    expect(() => decodeBundle(swapped)).toThrow(InvalidBundleError)
  })

  it('enforces a maximum signed prekey age when asked', () => {
    const bob = newIdentity()
    const bundle = exportBundle(createPrekeyStore(bob, { oneTimePrekeys: 0, now: 1_000_000 }))
    expect(() => { verifyBundleOk(bundle, bob.publicKey, { maxAgeMs: 1000, now: 1_000_500 }) }).not.toThrow()
    expect(() => { verifyBundleOk(bundle, bob.publicKey, { maxAgeMs: 1000, now: 1_002_000 }) }).toThrow(ExpiredBundleError)
  })

  it('replenishes one-time prekeys with fresh ids and survives serialization', () => {
    const bob = newIdentity()
    const store = createPrekeyStore(bob, { oneTimePrekeys: 3 })
    const alice = newIdentity()
    const a = startSession(alice, exportBundle(store), { oneTimePrekeyId: 2 })
    acceptSession(bob, store, a.encrypt(text('x')))
    expect(store.oneTimePrekeys.map((key) => key.id)).toEqual([1, 3])
    expect(replenishOneTimePrekeys(store, 5)).toBe(3)
    expect(store.oneTimePrekeys.map((key) => key.id)).toEqual([1, 3, 4, 5, 6])
    expect(replenishOneTimePrekeys(store, 2)).toBe(0)
    const restored = deserializePrekeyStore(serializePrekeyStore(store))
    expect(restored).toEqual(store)
    expect(() => deserializePrekeyStore(serializePrekeyStore(store).subarray(1))).toThrow(InvalidStateError)
  })

  it('keeps the previous signed prekey for the grace period after rotation', () => {
    const bob = newIdentity()
    const store = createPrekeyStore(bob, { oneTimePrekeys: 0, now: 1000 })
    const oldBundle = exportBundle(store)
    const rotated = rotateSignedPrekey(store, bob, { now: 2000, gracePeriodMs: 10_000 })
    expect(rotated.id).toBe(2)
    expect(exportBundle(store).signedPrekey.id).toBe(2)

    const early = startSession(newIdentity(), oldBundle)
    expect(read(acceptSession(bob, store, early.encrypt(text('in time')), { now: 11_999 }).plaintext)).toBe('in time')

    const late = startSession(newIdentity(), oldBundle)
    expect(() => acceptSession(bob, store, late.encrypt(text('too late')), { now: 12_000 })).toThrow(UnknownPrekeyError)

    // The next rotation after the grace period deletes the old private key.
    rotateSignedPrekey(store, bob, { now: 13_000, gracePeriodMs: 10_000 })
    expect(store.previousSignedPrekeys.map((record) => record.id)).toEqual([2])
    expect(() => rotateSignedPrekey(store, newIdentity())).toThrow(IdentityMismatchError)
  })
})

function verifyBundleOk (bundle: PrekeyBundle, identityKey: Uint8Array, options?: { maxAgeMs?: number, now?: number }): void {
  x3dhInitiate(newIdentity(), bundle, { expectedIdentityKey: identityKey, oneTimePrekeyId: null, maxBundleAgeMs: options?.maxAgeMs, now: options?.now })
}

describe('X3DH', () => {
  it('derives the same secret on both sides, with and without a one-time prekey', () => {
    const alice = newIdentity()
    const bob = newIdentity()
    const store = createPrekeyStore(bob, { oneTimePrekeys: 2 })
    for (const oneTimePrekeyId of [1, null]) {
      const init = x3dhInitiate(alice, exportBundle(store), { expectedIdentityKey: bob.publicKey, oneTimePrekeyId })
      const resp = x3dhRespond(bob, store, init.header)
      expect(resp.sharedKey).toEqual(init.sharedKey)
      expect(resp.associatedData).toEqual(init.associatedData)
      expect(init.associatedData).toEqual(Uint8Array.from([...alice.publicKey, ...bob.publicKey]))
      expect(resp.signedPrekey.publicKey).toEqual(init.responderRatchetKey)
      expect(init.header.oneTimePrekeyId).toBe(oneTimePrekeyId ?? undefined)
    }
    expect(store.oneTimePrekeys.map((key) => key.id)).toEqual([2])
  })

  it('accepts libp2p-style 64-byte identity secret keys', () => {
    const alice = newIdentity()
    const bob = newIdentity()
    const bob64 = { publicKey: bob.publicKey, secretKey: Uint8Array.from([...bob.secretKey, ...bob.publicKey]) }
    const store = createPrekeyStore(bob64, { oneTimePrekeys: 1 })
    const init = x3dhInitiate(alice, exportBundle(store))
    expect(x3dhRespond(bob64, store, init.header).sharedKey).toEqual(init.sharedKey)
    expect(() => createPrekeyStore({ publicKey: alice.publicKey, secretKey: bob.secretKey })).toThrow(IdentityMismatchError)
  })

  it('consumes a one-time prekey exactly once', () => {
    const alice = newIdentity()
    const bob = newIdentity()
    const store = createPrekeyStore(bob, { oneTimePrekeys: 1 })
    const a = startSession(alice, exportBundle(store))
    const first = a.encrypt(text('first'))
    expect(first.x3dh?.oneTimePrekeyId).toBe(1)
    acceptSession(bob, store, first)
    expect(store.oneTimePrekeys).toHaveLength(0)
    // A replay of the initial message cannot set up a second session.
    expect(() => acceptSession(bob, store, first)).toThrow(UnknownPrekeyError)
    expect(() => x3dhRespond(bob, store, first.x3dh!)).toThrow(UnknownPrekeyError)
  })

  it('does not burn a one-time prekey on a forged initial message', () => {
    const bob = newIdentity()
    const store = createPrekeyStore(bob, { oneTimePrekeys: 1 })
    const a = startSession(newIdentity(), exportBundle(store))
    const message = a.encrypt(text('hello'))
    const tampered: RatchetMessage = { ...message, ciphertext: Uint8Array.from(message.ciphertext) }
    tampered.ciphertext[0]! ^= 1
    expect(() => acceptSession(bob, store, tampered)).toThrow(RatchetDecryptError)
    // An attacker claiming another identity cannot complete X3DH either.
    const impostor: RatchetMessage = { ...message, x3dh: { ...message.x3dh!, identityKey: newIdentity().publicKey } }
    expect(() => acceptSession(bob, store, impostor)).toThrow(RatchetDecryptError)
    expect(store.oneTimePrekeys).toHaveLength(1)
    expect(read(acceptSession(bob, store, message).plaintext)).toBe('hello')
    expect(store.oneTimePrekeys).toHaveLength(0)
  })

  it('rejects low-order and unknown keys with named errors', () => {
    const bob = newIdentity()
    const store = createPrekeyStore(bob, { oneTimePrekeys: 0 })
    const header = x3dhInitiate(newIdentity(), exportBundle(store)).header
    expect(() => x3dhRespond(bob, store, { ...header, ephemeralKey: new Uint8Array(32) })).toThrow(InvalidKeyError)
    expect(() => x3dhRespond(bob, store, { ...header, signedPrekeyId: 99 })).toThrow(UnknownPrekeyError)
    expect(() => x3dhRespond(bob, store, { ...header, oneTimePrekeyId: 1 })).toThrow(UnknownPrekeyError)
    expect(() => x3dhRespond(newIdentity(), store, header)).toThrow(IdentityMismatchError)
  })
})

describe('Double Ratchet', () => {
  it('round-trips both directions over many DH ratchet steps', () => {
    const { alice, bob } = ratchetPair()
    expect(() => encrypt(bob, text('too early'))).toThrow(RatchetNotReadyError)
    let counter = 0
    for (let turn = 0; turn < 60; turn++) {
      const [from, to] = turn % 2 === 0 ? [alice, bob] : [bob, alice]
      const burst = 1 + (turn % 4)
      for (let i = 0; i < burst; i++) {
        const plaintext = text(`message ${counter++}`)
        const { header, ciphertext } = encrypt(from, plaintext)
        expect(header.n).toBe(i)
        expect(decrypt(to, header, ciphertext)).toEqual(plaintext)
      }
    }
    expect(alice.skipped.size).toBe(0)
    expect(bob.skipped.size).toBe(0)
  })

  it('handles out-of-order delivery within and across chains', () => {
    const { alice, bob } = ratchetPair()
    const first = [0, 1, 2, 3].map((i) => ({ i, ...encrypt(alice, text(`a${i}`)) }))
    // Bob gets a2 first, replies, Alice replies from a new chain; the rest of chain 1 arrives last.
    expect(read(decrypt(bob, first[2]!.header, first[2]!.ciphertext))).toBe('a2')
    const reply = encrypt(bob, text('b0'))
    expect(read(decrypt(alice, reply.header, reply.ciphertext))).toBe('b0')
    const second = [0, 1, 2].map((i) => encrypt(alice, text(`c${i}`)))
    expect(second[0]!.header.pn).toBe(4)
    expect(read(decrypt(bob, second[2]!.header, second[2]!.ciphertext))).toBe('c2')
    expect(bob.skipped.size).toBe(2 + 1 + 2) // a0, a1 | a3 (from PN) | c0, c1
    for (const index of [3, 0]) {
      const m = first[index]!
      expect(read(decrypt(bob, m.header, m.ciphertext))).toBe(`a${m.i}`)
    }
    expect(read(decrypt(bob, second[1]!.header, second[1]!.ciphertext))).toBe('c1')
    expect(read(decrypt(bob, first[1]!.header, first[1]!.ciphertext))).toBe('a1')
    expect(read(decrypt(bob, second[0]!.header, second[0]!.ciphertext))).toBe('c0')
    expect(bob.skipped.size).toBe(0)
  })

  it('tolerates lost messages', () => {
    const { alice, bob } = ratchetPair()
    const sent = Array.from({ length: 20 }, (_, i) => encrypt(alice, text(`m${i}`)))
    for (const i of [0, 5, 6, 19]) {
      expect(read(decrypt(bob, sent[i]!.header, sent[i]!.ciphertext))).toBe(`m${i}`)
    }
    expect(bob.skipped.size).toBe(20 - 4)
    const reply = encrypt(bob, text('still here'))
    expect(read(decrypt(alice, reply.header, reply.ciphertext))).toBe('still here')
    const next = encrypt(alice, text('new chain'))
    expect(read(decrypt(bob, next.header, next.ciphertext))).toBe('new chain')
  })

  it('rejects replays, leaving the state unchanged', () => {
    const { alice, bob } = ratchetPair()
    const m0 = encrypt(alice, text('zero'))
    const m1 = encrypt(alice, text('one'))
    const m2 = encrypt(alice, text('two'))
    decrypt(bob, m0.header, m0.ciphertext)
    decrypt(bob, m2.header, m2.ciphertext) // m1's key is now a skipped key
    decrypt(bob, m1.header, m1.ciphertext) // ... and is deleted once used
    const snapshot = serializeState(bob)
    for (const m of [m0, m1, m2]) {
      expect(() => decrypt(bob, m.header, m.ciphertext)).toThrow(DuplicateMessageError)
    }
    expect(serializeState(bob)).toEqual(snapshot)

    // A replay from a chain that has since been ratcheted away fails as well.
    const reply = encrypt(bob, text('reply'))
    decrypt(alice, reply.header, reply.ciphertext)
    const m3 = encrypt(alice, text('three'))
    decrypt(bob, m3.header, m3.ciphertext)
    const after = serializeState(bob)
    expect(() => decrypt(bob, m0.header, m0.ciphertext)).toThrow(RatchetDecryptError)
    expect(() => decrypt(alice, reply.header, reply.ciphertext)).toThrow(DuplicateMessageError)
    expect(serializeState(bob)).toEqual(after)
  })

  it('fails closed on tampering without corrupting the state', () => {
    const { alice, bob } = ratchetPair()
    const m0 = encrypt(alice, text('zero'), text('envelope-1'))
    const before = serializeState(bob)
    const flipped = Uint8Array.from(m0.ciphertext)
    flipped[flipped.length - 1]! ^= 1
    expect(() => decrypt(bob, m0.header, flipped, text('envelope-1'))).toThrow(RatchetDecryptError)
    expect(() => decrypt(bob, m0.header, m0.ciphertext, text('envelope-2'))).toThrow(RatchetDecryptError)
    expect(() => decrypt(bob, { ...m0.header, n: 1 }, m0.ciphertext, text('envelope-1'))).toThrow(RatchetDecryptError)
    expect(() => decrypt(bob, { ...m0.header, pn: 3 }, m0.ciphertext, text('envelope-1'))).toThrow(RatchetDecryptError)
    expect(() => decrypt(bob, { ...m0.header, dh: x25519.keygen().publicKey }, m0.ciphertext, text('envelope-1'))).toThrow(RatchetDecryptError)
    expect(() => decrypt(bob, { ...m0.header, dh: new Uint8Array(32) }, m0.ciphertext, text('envelope-1'))).toThrow(RatchetDecryptError)
    expect(() => decrypt(bob, m0.header, new Uint8Array(3))).toThrow(RatchetMessageError)
    expect(serializeState(bob)).toEqual(before)
    expect(read(decrypt(bob, m0.header, m0.ciphertext, text('envelope-1')))).toBe('zero')
  })

  it('binds the session associated data', () => {
    const sharedKey = randomBytes(32)
    const signedPrekey = x25519.keygen()
    const alice = initSender(sharedKey, signedPrekey.publicKey, text('alice|bob'))
    const bob = initReceiver(sharedKey, signedPrekey, text('alice|eve'))
    const m = encrypt(alice, text('hi'))
    expect(() => decrypt(bob, m.header, m.ciphertext)).toThrow(RatchetDecryptError)
  })

  it('enforces MAX_SKIP per chain', () => {
    const { alice, bob } = ratchetPair({ maxSkip: 10 })
    const sent = Array.from({ length: 12 }, () => encrypt(alice, text('x')))
    const before = serializeState(bob)
    expect(() => decrypt(bob, sent[11]!.header, sent[11]!.ciphertext)).toThrow(TooManySkippedMessagesError)
    expect(serializeState(bob)).toEqual(before)
    decrypt(bob, sent[10]!.header, sent[10]!.ciphertext) // skips exactly 10
    expect(bob.skipped.size).toBe(10)

    // PN is bounded too: a new chain announcing a previous chain far longer than seen is refused.
    const forged: EncryptedMessage = { header: { dh: x25519.keygen().publicKey, pn: 11 + 11, n: 0 }, ciphertext: new Uint8Array(16) }
    expect(() => decrypt(bob, forged.header, forged.ciphertext)).toThrow(TooManySkippedMessagesError)
    // The default bound is 1000.
    const big = ratchetPair()
    const far = { ...encrypt(big.alice, text('x')), header: { dh: big.alice.dhs.publicKey, pn: 0, n: 1001 } }
    expect(() => decrypt(big.bob, far.header, far.ciphertext)).toThrow(TooManySkippedMessagesError)
  })

  it('bounds the skipped-key cache, evicting the oldest keys', () => {
    const { alice, bob } = ratchetPair({ maxSkip: 5, maxSkippedKeys: 6 })
    const chain1 = Array.from({ length: 5 }, () => encrypt(alice, text('chain1')))
    decrypt(bob, chain1[4]!.header, chain1[4]!.ciphertext) // stores 4 skipped keys
    const reply = encrypt(bob, text('r'))
    decrypt(alice, reply.header, reply.ciphertext)
    const chain2 = Array.from({ length: 5 }, () => encrypt(alice, text('chain2')))
    decrypt(bob, chain2[4]!.header, chain2[4]!.ciphertext) // 4 more: two oldest evicted
    expect(bob.skipped.size).toBe(6)
    for (const i of [0, 1]) expect(() => decrypt(bob, chain1[i]!.header, chain1[i]!.ciphertext)).toThrow(RatchetDecryptError)
    for (const i of [2, 3]) expect(read(decrypt(bob, chain1[i]!.header, chain1[i]!.ciphertext))).toBe('chain1')
    for (const i of [0, 1, 2, 3]) expect(read(decrypt(bob, chain2[i]!.header, chain2[i]!.ciphertext))).toBe('chain2')
    expect(() => ratchetPair({ maxSkip: 5, maxSkippedKeys: 4 })).toThrow(RangeError)
  })

  it('serializes and restores state mid-conversation, skipped keys included', () => {
    const { alice, bob } = ratchetPair()
    const pending = Array.from({ length: 4 }, (_, i) => encrypt(alice, text(`p${i}`)))
    decrypt(bob, pending[3]!.header, pending[3]!.ciphertext)
    const bytes = serializeState(bob)
    expect(bytes[0]).toBe(1)
    const restored = deserializeState(bytes)
    expect(restored).toEqual(bob)
    expect(serializeState(restored)).toEqual(bytes)
    for (const i of [1, 0, 2]) expect(read(decrypt(restored, pending[i]!.header, pending[i]!.ciphertext))).toBe(`p${i}`)
    const reply = encrypt(restored, text('from restored'))
    const aliceRestored = clone(alice)
    expect(read(decrypt(aliceRestored, reply.header, reply.ciphertext))).toBe('from restored')
    expect(() => deserializeState(bytes.subarray(0, bytes.length - 1))).toThrow(InvalidStateError)
    const badVersion = Uint8Array.from(bytes)
    badVersion[0] = 9
    expect(() => deserializeState(badVersion)).toThrow(InvalidStateError)
  })

  it('is forward secret: the current state and long-term keys cannot open recorded messages', () => {
    const alice = newIdentity()
    const bob = newIdentity()
    const store = createPrekeyStore(bob, { oneTimePrekeys: 1 })
    const x3dh = x3dhInitiate(alice, exportBundle(store), { oneTimePrekeyId: 1 })
    const aliceState = initSender(x3dh.sharedKey, x3dh.responderRatchetKey, x3dh.associatedData)
    const responder = x3dhRespond(bob, store, x3dh.header)
    const bobState = initReceiver(responder.sharedKey, responder.signedPrekey, responder.associatedData)

    // Record traffic in both directions, noting (as an oracle) each sending chain key used.
    const recorded: Array<{ to: 'alice' | 'bob', message: EncryptedMessage, chainKey: Uint8Array }> = []
    const exchange = (from: RatchetState, to: RatchetState, toName: 'alice' | 'bob', count: number): void => {
      for (let i = 0; i < count; i++) {
        const chainKey = Uint8Array.from(from.cks!)
        const message = encrypt(from, text(`secret to ${toName}`))
        recorded.push({ to: toName, message, chainKey })
        decrypt(to, message.header, message.ciphertext)
      }
    }
    exchange(aliceState, bobState, 'bob', 3)
    exchange(bobState, aliceState, 'alice', 2)
    exchange(aliceState, bobState, 'bob', 2)
    // Advance the ratchet a full round trip further.
    exchange(bobState, aliceState, 'alice', 1)
    exchange(aliceState, bobState, 'bob', 1)

    // The attacker now seizes everything: both current states, both identity keys, Bob's prekey store.
    const seized = { alice: serializeState(aliceState), bob: serializeState(bobState) }
    const storeBytes = serializePrekeyStore(store)
    for (const bytes of [seized.alice, seized.bob, storeBytes]) {
      for (const { chainKey } of recorded) {
        // KDF_CK: the message key is HMAC-SHA256(ck, 0x01); neither it nor ck survives.
        expect(contains(bytes, chainKey)).toBe(false)
        expect(contains(bytes, hmac(sha256, chainKey, Uint8Array.of(1)))).toBe(false)
      }
    }
    for (const { to, message } of recorded) {
      const state = deserializeState(seized[to])
      expect(() => decrypt(state, message.header, message.ciphertext)).toThrow(RatchetDecryptError)
    }
    // Re-running X3DH is impossible: the one-time prekey is gone from the store.
    expect(() => x3dhRespond(bob, deserializePrekeyStore(storeBytes), x3dh.header)).toThrow(UnknownPrekeyError)
    // Without it, the signed prekey and identity key alone give a different secret.
    const withoutOneTime = x3dhRespond(bob, deserializePrekeyStore(storeBytes), { ...x3dh.header, oneTimePrekeyId: undefined })
    expect(withoutOneTime.sharedKey).not.toEqual(x3dh.sharedKey)
  })

  it('recovers from compromise after a DH ratchet round trip', () => {
    const { alice, bob } = ratchetPair()
    const send = (from: RatchetState, to: RatchetState, body: string): EncryptedMessage => {
      const message = encrypt(from, text(body))
      expect(read(decrypt(to, message.header, message.ciphertext))).toBe(body)
      return message
    }
    send(alice, bob, 'warm-up')
    send(bob, alice, 'warm-up reply')
    send(alice, bob, 'before compromise')

    // Time t: the attacker copies Bob's state and follows all traffic passively from then on.
    const shadow = clone(bob)
    const sameChain = send(alice, bob, 'same chain')
    expect(read(decrypt(shadow, sameChain.header, sameChain.ciphertext))).toBe('same chain')

    // The healing round trip: Bob's key is already known to the attacker, so Alice's next chain
    // still is; Bob's next key pair is fresh, and from then on the attacker is locked out.
    send(bob, alice, 'reply on a compromised key')
    const stillExposed = send(alice, bob, 'new Alice key, old Bob key')
    expect(read(decrypt(shadow, stillExposed.header, stillExposed.ciphertext))).toBe('new Alice key, old Bob key')
    send(bob, alice, 'fresh Bob key')

    for (let i = 0; i < 3; i++) {
      const healed = send(alice, bob, `healed ${i}`)
      expect(() => decrypt(shadow, healed.header, healed.ciphertext)).toThrow(RatchetDecryptError)
      send(bob, alice, `healed reply ${i}`)
    }
    expect(contains(serializeState(shadow), bob.rk)).toBe(false)
  })
})

describe('sessions', () => {
  it('runs the module example from index.ts', () => {
    const alice = newIdentity()
    const bob = newIdentity()
    // Bob, once: publish a bundle, keep the store private.
    const store = createPrekeyStore(bob)
    const bundleBytes = encodeBundle(exportBundle(store))
    // Alice, while Bob is offline:
    const alice2bob = startSession(alice, decodeBundle(bundleBytes), { expectedIdentityKey: bob.publicKey })
    const wire = encodeRatchetMessage(alice2bob.encrypt(new TextEncoder().encode('hi Bob')))
    // Bob, later, with only his store:
    const { session: bob2alice, plaintext } = acceptSession(bob, store, decodeRatchetMessage(wire))
    const reply = encodeRatchetMessage(bob2alice.encrypt(new TextEncoder().encode('hi Alice')))
    expect(read(plaintext)).toBe('hi Bob')
    expect(read(alice2bob.decrypt(decodeRatchetMessage(reply)))).toBe('hi Alice')
    expect(store.oneTimePrekeys).toHaveLength(99)
  })

  it('delivers the first messages from the bundle alone while the recipient is offline', () => {
    const alice = newIdentity()
    const bob = newIdentity()
    // Bob publishes his bundle, keeps his store on disk, goes offline.
    const bobStore = createPrekeyStore(bob, { oneTimePrekeys: 3 })
    const published = encodeBundle(exportBundle(bobStore))
    const storedOnDisk = serializePrekeyStore(bobStore)

    const a = startSession(alice, decodeBundle(published), { expectedIdentityKey: bob.publicKey })
    const wire = ['one', 'two', 'three'].map((body) => encodeRatchetMessage(a.encrypt(text(body))))
    expect(a.confirmed).toBe(false)

    // Bob comes back with nothing but his stored prekeys; the messages arrive out of order.
    const store = deserializePrekeyStore(storedOnDisk)
    const first = decodeRatchetMessage(wire[1]!)
    expect(first.x3dh).toBeDefined()
    const { session: b, plaintext } = acceptSession(bob, store, first)
    expect(read(plaintext)).toBe('two')
    expect(b.remoteIdentityKey).toEqual(alice.publicKey)
    expect(store.oneTimePrekeys).toHaveLength(2)
    // The other initial messages belong to the same session and go through it.
    expect(read(b.decrypt(decodeRatchetMessage(wire[0]!)))).toBe('one')
    expect(read(b.decrypt(decodeRatchetMessage(wire[2]!)))).toBe('three')

    const reply = b.encrypt(text('welcome back'))
    expect(reply.x3dh).toBeUndefined()
    expect(read(a.decrypt(decodeRatchetMessage(encodeRatchetMessage(reply))))).toBe('welcome back')
    expect(a.confirmed).toBe(true)
    expect(a.encrypt(text('ratchet only')).x3dh).toBeUndefined()
  })

  it('routes initial headers of other sessions to acceptSession', () => {
    const { alice, bob, a, b } = sessionPair()
    const store2 = createPrekeyStore(bob, { oneTimePrekeys: 1 })
    const other = startSession(alice, exportBundle(store2))
    expect(() => b.decrypt(other.encrypt(text('restart')))).toThrow(SessionMismatchError)
    // A responder's message never carries an initial header.
    const bogus = { ...b.encrypt(text('x')), x3dh: a.initialHeader }
    expect(() => a.decrypt(bogus)).toThrow(SessionMismatchError)
  })

  it('authenticates application associated data and the initial header', () => {
    const { a, b } = sessionPair()
    const m = b.encrypt(text('meta'), { associatedData: text('envelope') })
    expect(() => a.decrypt(m)).toThrow(RatchetDecryptError)
    expect(() => a.decrypt(m, { associatedData: text('other') })).toThrow(RatchetDecryptError)
    expect(read(a.decrypt(m, { associatedData: text('envelope') }))).toBe('meta')
  })

  it('refuses a stripped initial header', () => {
    const alice = newIdentity()
    const bob = newIdentity()
    const store = createPrekeyStore(bob, { oneTimePrekeys: 1 })
    const a = startSession(alice, exportBundle(store))
    const m0 = a.encrypt(text('zero'))
    const m1 = a.encrypt(text('one'))
    const { session: b } = acceptSession(bob, store, m0)
    const { x3dh: _stripped, ...withoutHeader } = m1
    expect(() => b.decrypt(withoutHeader)).toThrow(RatchetDecryptError)
    expect(read(b.decrypt(m1))).toBe('one')
  })

  it('serializes sessions mid-conversation', () => {
    const { a, b } = sessionPair()
    const pending = [a.encrypt(text('p0')), a.encrypt(text('p1'))]
    expect(read(b.decrypt(pending[1]!))).toBe('p1')
    const b2 = deserializeSession(b.serialize())
    const a2 = deserializeSession(a.serialize())
    expect(b2.role).toBe('responder')
    expect(a2.role).toBe('initiator')
    expect(a2.confirmed).toBe(false)
    expect(b2.remoteIdentityKey).toEqual(b.remoteIdentityKey)
    expect(read(b2.decrypt(pending[0]!))).toBe('p0')
    const reply = b2.encrypt(text('r'))
    expect(read(a2.decrypt(reply))).toBe('r')
    expect(a2.confirmed).toBe(true)
    expect(read(b2.decrypt(a2.encrypt(text('after'))))).toBe('after')
    expect(() => deserializeSession(a.serialize().subarray(0, 100))).toThrow(InvalidStateError)
  })

  it('encodes messages byte-exactly and rejects malformed ones', () => {
    const { a, b } = sessionPair()
    const reply = b.encrypt(text('hey'))
    const bytes = encodeRatchetMessage(reply)
    expect(bytes.length).toBe(2 + 40 + 3 + 16)
    expect(Array.from(bytes.subarray(0, 2))).toEqual([1, 0])
    expect(decodeRatchetMessage(bytes)).toEqual(reply)
    const initial = encodeRatchetMessage(a.encrypt(text('hey')))
    expect(initial.length).toBe(2 + 73 + 40 + 3 + 16)
    expect(Array.from(initial.subarray(0, 2))).toEqual([1, 1])
    expect(() => decodeRatchetMessage(bytes.subarray(0, 2 + 40 + 15))).toThrow(RatchetMessageError)
    const badFlags = Uint8Array.from(bytes)
    badFlags[1] = 2
    expect(() => decodeRatchetMessage(badFlags)).toThrow(RatchetMessageError)
    const badOneTimeFlag = Uint8Array.from(initial)
    badOneTimeFlag[2 + 68] = 2
    expect(() => decodeRatchetMessage(badOneTimeFlag)).toThrow(RatchetMessageError)
  })
})
