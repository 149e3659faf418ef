/**
 * The session manager with stand-ins (an in-memory DHT and store): RATCHET
 * envelopes from a bundle alone, both directions, out-of-order, lost and
 * replayed messages, forward secrecy and recovery after compromise, the
 * one-time prekey clash, simultaneous initiation, and the key-change hold.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { EnvelopeBody, Payload, SignedEnvelope, openSealed, verifyEnvelope } from '../../src/crypto/envelope.js'
import pWaitFor from 'p-wait-for'
import { decodeBundle, decodeRatchetMessage, deserializeSession } from '../../src/crypto/ratchet/index.js'
import { PrekeyRecord, SignedPrekeyRecord } from '../../src/pb/prekeys.js'
import { createSecretBox } from '../../src/keys/data-key.js'
import { decodeSessionSet } from '../../src/sessions/session-set.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import { memoryDht, party } from '../helpers/sessions.js'
import type { MemoryDht, Party } from '../helpers/sessions.js'
import { prekeyRecordKey } from '../../src/sessions/index.js'
import type { SessionManagerInit } from '../../src/sessions/index.js'

const text = (t: string, seq = 1): Payload => ({ type: Payload.Type.TEXT, text: t, seq: BigInt(seq), receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED })
const body = (bytes: Uint8Array): EnvelopeBody => EnvelopeBody.decode(SignedEnvelope.decode(bytes).body)

describe('session manager', () => {
  const parties: Party[] = []
  let dht: MemoryDht
  afterEach(async () => {
    await Promise.all(parties.splice(0).map(async p => { await p.sessions.stop(); p.store.close() }))
  })

  async function make (init: SessionManagerInit = {}): Promise<Party> {
    const p = await party(dht, init)
    p.sessions.start()
    parties.push(p)
    return p
  }

  async function pair (init: SessionManagerInit = {}): Promise<[Party, Party]> {
    dht = memoryDht()
    const alice = await make(init)
    const bob = await make(init)
    expect(await bob.sessions.publishBundle()).toBe(1)
    return [alice, bob]
  }

  function publishedPrekeyIds (owner: Party): number[] {
    const record = dht.records.get(Buffer.from(prekeyRecordKey(owner.peer)).toString('hex')) as Uint8Array
    return decodeBundle(PrekeyRecord.decode(SignedPrekeyRecord.decode(record).record).bundle).oneTimePrekeys.map(k => k.id)
  }

  async function send (from: Party, to: Party, t: string, seq = 1): Promise<Uint8Array> {
    return (await from.sessions.seal(to.peer, text(t, seq))).bytes
  }

  async function open (to: Party, bytes: Uint8Array): Promise<string> {
    return (await to.sessions.open(await verifyEnvelope(bytes))).text
  }

  it('seals a first message from the bundle alone (RATCHET), and both sides then talk in the session', async () => {
    const [alice, bob] = await pair()
    // bob is "offline": only his published bundle is involved until he opens
    const first = await alice.sessions.seal(bob.peer, text('hi bob'))
    expect(first.scheme).toBe('ratchet')
    expect(body(first.bytes).scheme).toBe(EnvelopeBody.Scheme.RATCHET)
    expect(decodeRatchetMessage(body(first.bytes).ciphertext).x3dh).toBeDefined()
    expect(await open(bob, first.bytes)).toBe('hi bob')

    const reply = await send(bob, alice, 'hi alice')
    expect(decodeRatchetMessage(body(reply).ciphertext).x3dh).toBeUndefined()
    expect(await open(alice, reply)).toBe('hi alice')
    // confirmed: alice's messages no longer carry the initial header
    const second = await send(alice, bob, 'how are you', 2)
    expect(decodeRatchetMessage(body(second).ciphertext).x3dh).toBeUndefined()
    expect(await open(bob, second)).toBe('how are you')
    // the one-time prekey used is gone from bob's store, and soon from his published bundle
    const used = decodeRatchetMessage(body(first.bytes).ciphertext).x3dh?.oneTimePrekeyId
    expect(used).toBeDefined()
    await pWaitFor(() => !publishedPrekeyIds(bob).includes(used as number), { timeout: 10_000 })
    expect(publishedPrekeyIds(bob)).toHaveLength(99)
  })

  it('falls back to SEALED when no bundle can be found, and SEALED still opens', async () => {
    dht = memoryDht()
    const alice = await make()
    const bob = await make()
    const sealed = await alice.sessions.seal(bob.peer, text('no bundle'))
    expect(sealed.scheme).toBe('sealed')
    expect(body(sealed.bytes).scheme).toBe(EnvelopeBody.Scheme.SEALED)
    expect(await open(bob, sealed.bytes)).toBe('no bundle')
    // and with sessions turned off (benchmarks), even with a bundle at hand
    await bob.sessions.publishBundle()
    const off = await make({ sealedOnly: true })
    expect((await off.sessions.seal(bob.peer, text('off'))).scheme).toBe('sealed')
  })

  it('opens out-of-order messages, tolerates lost ones, and answers a replay from what it already opened', async () => {
    const [alice, bob] = await pair()
    const m = []
    for (let i = 1; i <= 6; i++) {
      m.push(await send(alice, bob, `m${i}`, i))
    }
    // m3 is lost for good; the rest arrive shuffled
    const order = [4, 1, 5, 0, 2]
    const got = []
    for (const i of order) {
      got.push(await open(bob, m[i] as Uint8Array))
    }
    expect(got).toEqual(['m5', 'm2', 'm6', 'm1', 'm3'])
    // the same envelope again (a retry that crossed an ack): the same payload, no state change
    expect(await open(bob, m[4] as Uint8Array)).toBe('m5')
    // after a restart nothing remembers it: the spent key makes it a replay
    bob.restart().start()
    await expect(bob.sessions.open(await verifyEnvelope(m[4] as Uint8Array))).rejects.toMatchObject({ name: 'InvalidMessageError', message: expect.stringContaining('replayed') })
    // and the conversation goes on, in both directions
    expect(await open(alice, await send(bob, alice, 'still here'))).toBe('still here')
    expect(await open(bob, await send(alice, bob, 'good', 7))).toBe('good')
  })

  it('forward secrecy: a recorded message cannot be opened with the identity key and the later state', async () => {
    const [alice, bob] = await pair()
    const recorded = await send(alice, bob, 'secret one')
    expect(await open(bob, recorded)).toBe('secret one')
    for (let i = 0; i < 3; i++) {
      expect(await open(alice, await send(bob, alice, `b${i}`))).toBe(`b${i}`)
      expect(await open(bob, await send(alice, bob, `a${i}`, i + 2))).toBe(`a${i}`)
    }
    // the attacker has bob's identity key and his whole store: a fresh manager over them
    const stolen = bob.restart()
    stolen.start()
    await expect(stolen.open(await verifyEnvelope(recorded))).rejects.toMatchObject({ name: 'InvalidMessageError' })
    // nor does the identity key open it directly (it is not SEALED to it)
    const verified = await verifyEnvelope(recorded)
    expect(() => openSealed(verified, bob.key, bob.peer.bytes)).toThrow()
    // and the session state itself holds no key for it
    const box = createSecretBox(bob.key)
    const row = bob.store.ratchetSessions.get(alice.peer.peerId.toString())
    const [entry] = decodeSessionSet(box.open('ratchet sessions', alice.peer.bytes, row?.state as Uint8Array))
    const session = deserializeSession((entry?.session as { serialize(): Uint8Array }).serialize())
    expect(() => session.decrypt(decodeRatchetMessage(body(recorded).ciphertext))).toThrow()
  })

  it('recovers after compromise: a copy of the state stops working once both sides have ratcheted', async () => {
    const [alice, bob] = await pair()
    expect(await open(bob, await send(alice, bob, 'before'))).toBe('before')
    // the attacker copies bob's session store now
    const copy = openStore({ path: MEMORY_PATH })
    const row = bob.store.ratchetSessions.get(alice.peer.peerId.toString())
    copy.ratchetSessions.put(alice.peer.peerId.toString(), row?.state as Uint8Array)
    const attacker = await party(dht, { key: bob.key, store: copy })
    parties.push(attacker)
    // with the copy it reads what comes next in the same chain…
    const next = await send(alice, bob, 'still readable', 2)
    expect(await open(attacker, next)).toBe('still readable')
    expect(await open(bob, next)).toBe('still readable')
    // …and, holding bob's ratchet private key, alice's answer to his next message too…
    expect(await open(alice, await send(bob, alice, 'reply'))).toBe('reply')
    const answer = await send(alice, bob, 'answer', 3)
    expect(await open(attacker, answer)).toBe('answer')
    expect(await open(bob, answer)).toBe('answer')
    // …until bob's fresh ratchet key (drawn after the copy) has gone to alice and back
    expect(await open(alice, await send(bob, alice, 'fresh key'))).toBe('fresh key')
    const healed = await send(alice, bob, 'private again', 4)
    expect(await open(bob, healed)).toBe('private again')
    await expect(attacker.sessions.open(await verifyEnvelope(healed))).rejects.toMatchObject({ name: 'InvalidMessageError' })
  })

  it('a one-time prekey taken by another sender: refused, then sealed again in a new session', async () => {
    const [alice, bob] = await pair({ oneTimePrekeys: 3, replenishBelow: 0 })
    const carol = await make()
    // both start from the same bundle and pick the same one-time prekey
    expect(publishedPrekeyIds(bob)).toHaveLength(3)
    let fromAlice: Uint8Array
    let fromCarol: Uint8Array
    for (;;) {
      fromAlice = await send(alice, bob, 'from alice')
      fromCarol = await send(carol, bob, 'from carol')
      if (decodeRatchetMessage(body(fromAlice).ciphertext).x3dh?.oneTimePrekeyId === decodeRatchetMessage(body(fromCarol).ciphertext).x3dh?.oneTimePrekeyId) {
        break
      }
      // not the same pick this time: forget the sessions and draw again
      alice.store.ratchetSessions.delete(bob.peer.peerId.toString())
      carol.store.ratchetSessions.delete(bob.peer.peerId.toString())
    }
    expect(await open(bob, fromAlice)).toBe('from alice')
    await expect(open(bob, fromCarol)).rejects.toMatchObject({ name: 'InvalidMessageError', message: expect.stringContaining('unknown prekey') })
    // carol learns it was refused: her session is dropped and the prekey never picked again
    expect(await carol.sessions.refused(fromCarol)).toBe(true)
    const again = await send(carol, bob, 'from carol')
    expect(decodeRatchetMessage(body(again).ciphertext).x3dh?.oneTimePrekeyId).not.toBe(decodeRatchetMessage(body(fromCarol).ciphertext).x3dh?.oneTimePrekeyId)
    expect(await open(bob, again)).toBe('from carol')
  })

  it('a peer that lost its sessions: the refused session is dropped and a new one starts', async () => {
    const [alice, bob] = await pair()
    expect(await open(bob, await send(alice, bob, 'one'))).toBe('one')
    expect(await open(alice, await send(bob, alice, 'two'))).toBe('two')
    bob.store.ratchetSessions.delete(alice.peer.peerId.toString())
    bob.restart().start()
    const lost = await send(alice, bob, 'three', 2)
    await expect(open(bob, lost)).rejects.toMatchObject({ name: 'InvalidMessageError' })
    expect(await alice.sessions.refused(lost)).toBe(true)
    // alice's kept envelope is dropped by the messenger; sealed again it starts a session from the bundle
    const resealed = await send(alice, bob, 'three', 2)
    expect(decodeRatchetMessage(body(resealed).ciphertext).x3dh).toBeDefined()
    expect(await open(bob, resealed)).toBe('three')
    // a refused SEALED envelope is not a session problem
    const carol = await make()
    const sealed = await alice.sessions.seal(carol.peer, text('x'), { newSession: false })
    expect(sealed.scheme).toBe('sealed')
    expect(await alice.sessions.refused(sealed.bytes)).toBe(false)
  })

  it('simultaneous initiation: both sides converge on the session started by the lower identity key', async () => {
    dht = memoryDht()
    const alice = await make()
    const bob = await make()
    await alice.sessions.publishBundle()
    await bob.sessions.publishBundle()
    const a1 = await send(alice, bob, 'a1')
    const b1 = await send(bob, alice, 'b1')
    expect(await open(bob, a1)).toBe('a1')
    expect(await open(alice, b1)).toBe('b1')
    // each side still reads the other's early messages in either session
    const a2 = await send(alice, bob, 'a2', 2)
    const b2 = await send(bob, alice, 'b2', 2)
    expect(await open(bob, a2)).toBe('a2')
    expect(await open(alice, b2)).toBe('b2')
    const a3 = await send(alice, bob, 'a3', 3)
    const b3 = await send(bob, alice, 'b3', 3)
    expect(await open(bob, a3)).toBe('a3')
    expect(await open(alice, b3)).toBe('b3')
    // one session now: the same initial header on both sides, and no initial header on the wire
    expect(decodeRatchetMessage(body(a3).ciphertext).x3dh).toBeUndefined()
    expect(decodeRatchetMessage(body(b3).ciphertext).x3dh).toBeUndefined()
    const sendingHeader = (p: Party, other: Party): Uint8Array => {
      const row = p.store.ratchetSessions.get(other.peer.peerId.toString())
      const entries = decodeSessionSet(createSecretBox(p.key).open('ratchet sessions', other.peer.bytes, row?.state as Uint8Array))
      return (entries.find(e => !e.superseded)?.session.initialHeader.ephemeralKey) as Uint8Array
    }
    expect(sendingHeader(alice, bob)).toEqual(sendingHeader(bob, alice))
  })

  it('holds messages to a contact whose identity key changed', async () => {
    const [alice, bob] = await pair()
    const other = await make()
    alice.store.contacts.add('bob', bob.peer.peerId.toString(), { identityKey: bob.peer.publicKey.raw })
    alice.sessions.assertSendable(bob.peer)
    alice.store.contacts.observeIdentityKey(bob.peer.peerId.toString(), other.peer.publicKey.raw)
    expect(() => { alice.sessions.assertSendable(bob.peer) }).toThrow(expect.objectContaining({
      name: 'IdentityKeyChangedError', contact: 'bob', newPeerId: other.peer.peerId.toString(), message: 'identity key changed: messages to bob are held until its new key is accepted or rejected'
    }))
    await expect(alice.sessions.seal(bob.peer, text('held'))).rejects.toMatchObject({ name: 'IdentityKeyChangedError' })
  })

  it('keeps session state encrypted at rest, bound to the peer', async () => {
    const [alice, bob] = await pair()
    expect(await open(bob, await send(alice, bob, 'hello'))).toBe('hello')
    const row = bob.store.ratchetSessions.get(alice.peer.peerId.toString())
    expect(row).toBeDefined()
    const state = row?.state as Uint8Array
    // nothing of the session shows in clear: not even the identity keys it is between
    const hex = Buffer.from(state).toString('hex')
    expect(hex.includes(Buffer.from(alice.peer.publicKey.raw).toString('hex'))).toBe(false)
    expect(() => createSecretBox(alice.key).open('ratchet sessions', alice.peer.bytes, state)).toThrow()
    expect(() => createSecretBox(bob.key).open('ratchet sessions', bob.peer.bytes, state)).toThrow()
    expect(createSecretBox(bob.key).open('ratchet sessions', alice.peer.bytes, state).byteLength).toBeGreaterThan(0)
  })

  describe('cache of decrypted sessions', () => {
    it('a session reset by another writer of the store is not served from the cache', async () => {
      const [alice, bob] = await pair()
      expect(await open(bob, await send(alice, bob, 'one'))).toBe('one')
      expect(await open(alice, await send(bob, alice, 'two'))).toBe('two')
      // the cache holds alice's session with bob; the row is reset behind the manager's back
      alice.store.ratchetSessions.delete(bob.peer.peerId.toString())
      const next = await send(alice, bob, 'three', 2)
      // read again from the store: no session, so a new one from the bundle
      expect(decodeRatchetMessage(body(next).ciphertext).x3dh).toBeDefined()
      expect(await open(bob, next)).toBe('three')
      // and an older state written back by another writer is what the next message uses
      const row = alice.store.ratchetSessions.get(bob.peer.peerId.toString())
      const snapshot = row?.state as Uint8Array
      const later = await send(alice, bob, 'four', 3)
      alice.store.ratchetSessions.put(bob.peer.peerId.toString(), snapshot)
      const again = await send(alice, bob, 'five', 4)
      // the same message keys as 'four' (sealed from the restored state), so bob refuses it as a replay
      expect(decodeRatchetMessage(body(again).ciphertext).header.n).toBe(decodeRatchetMessage(body(later).ciphertext).header.n)
    })

    it('a session lost and started again from the same cached bundle never reuses a one-time prekey it used', async () => {
      const [alice, bob] = await pair()
      const stock = publishedPrekeyIds(bob)
      const used: number[] = []
      for (let i = 0; i < stock.length; i++) {
        alice.store.ratchetSessions.delete(bob.peer.peerId.toString())
        const bytes = await send(alice, bob, `m${i}`, i + 1)
        const id = decodeRatchetMessage(body(bytes).ciphertext).x3dh?.oneTimePrekeyId
        expect(id).toBeDefined()
        used.push(id as number)
        // bob takes each: a reused one would be "unknown prekey (taken by another sender…)"
        expect(await open(bob, bytes)).toBe(`m${i}`)
      }
      expect(new Set(used).size).toBe(stock.length)
      // the cached bundle is used up: the next session has no one-time prekey, and bob still opens it
      alice.store.ratchetSessions.delete(bob.peer.peerId.toString())
      const last = await send(alice, bob, 'last', stock.length + 1)
      expect(decodeRatchetMessage(body(last).ciphertext).x3dh?.oneTimePrekeyId).toBeUndefined()
      expect(await open(bob, last)).toBe('last')
    })

    it('evicted sessions are read again from the store, as last written', async () => {
      dht = memoryDht()
      const alice = await make({ sessionCachePeers: 1 })
      const bob = await make()
      const carol = await make()
      expect(await bob.sessions.publishBundle()).toBe(1)
      expect(await carol.sessions.publishBundle()).toBe(1)
      // alternate so every message to one peer finds the other's sessions in the cache and its own evicted
      for (let i = 1; i <= 4; i++) {
        expect(await open(bob, await send(alice, bob, `b${i}`, i))).toBe(`b${i}`)
        expect(await open(carol, await send(alice, carol, `c${i}`, i))).toBe(`c${i}`)
        expect(await open(alice, await send(bob, alice, `rb${i}`, i))).toBe(`rb${i}`)
        expect(await open(alice, await send(carol, alice, `rc${i}`, i))).toBe(`rc${i}`)
      }
      // still one session each: an evicted set is never lost, and never forked
      for (const peer of [bob, carol]) {
        const row = alice.store.ratchetSessions.get(peer.peer.peerId.toString())
        const entries = decodeSessionSet(createSecretBox(alice.key).open('ratchet sessions', peer.peer.bytes, row?.state as Uint8Array))
        expect(entries).toHaveLength(1)
      }
    })

    it('a failure part-way through sealing drops the cached sessions, so the next seal starts from the store', async () => {
      const [alice, bob] = await pair()
      expect(await open(bob, await send(alice, bob, 'one'))).toBe('one')
      expect(await open(alice, await send(bob, alice, 'two'))).toBe('two')
      const before = await send(alice, bob, 'three', 2)
      // the write of the advanced state fails (the session advanced in memory, not on disk)
      await expect(alice.sessions.seal(bob.peer, text('lost', 3), { keep: () => { throw new Error('disk full') } })).rejects.toThrow('disk full')
      const after = await send(alice, bob, 'four', 4)
      // sealed from the stored state: the next message number after 'three', not after the failed one
      expect(decodeRatchetMessage(body(after).ciphertext).header.n).toBe(decodeRatchetMessage(body(before).ciphertext).header.n + 1)
      expect(await open(bob, before)).toBe('three')
      expect(await open(bob, after)).toBe('four')
    })
  })
})
