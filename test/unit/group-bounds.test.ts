/**
 * The group engine's bounds (issue 16, PROTOCOL.md §13.8), each filled to the
 * bound + 1 through the engine itself: ops per group, groups per node, pending
 * invitations, early sender keys, held frames and skipped keys per chain.
 * Real engines over real (in-memory) stores; the control channel between them
 * and the topic are stand-ins that hand payloads over in process.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { parsePeerId } from '../../src/crypto/peer.js'
import { MAX_GROUP_MEMBERS, MAX_GROUP_OPS, MAX_GROUPS, MAX_HELD_FRAMES, MAX_PENDING_GROUPS, MAX_SKIPPED_KEYS } from '../../src/groups/constants.js'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { chainStep, groupIdBytes, groupIdString, newChain, random, sealFrame, signOp } from '../../src/groups/crypto.js'
import { checkOp } from '../../src/groups/ops.js'
import { createGroups } from '../../src/groups/service.js'
import { ControlKind } from '../../src/messaging/control-payload.js'
import { GroupControl, GroupFrame, GroupOp } from '../../src/pb/group.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import { recordingLogger } from '../helpers/logger.js'
import type { GroupsService } from '../../src/groups/service.js'
import type { ControlHandler } from '../../src/messaging/control.js'
import type { Store } from '../../src/store/index.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

interface Node { key: Ed25519PrivateKey, id: string, bytes: Uint8Array, store: Store, engine: GroupsService, handler?: ControlHandler, sent: Array<{ to: string, body: GroupControl }> }

const settle = async (): Promise<void> => { for (let i = 0; i < 10; i++) await new Promise<void>(resolve => { setImmediate(resolve) }) }

describe('group bounds', () => {
  const open: Node[] = []
  afterEach(async () => {
    for (const n of open.splice(0)) { await n.engine.stop(); n.store.close() }
  })

  async function node (init: Parameters<typeof createGroups>[1] = {}): Promise<Node> {
    const key = await generateKeyPair('Ed25519')
    const self = parsePeerId(peerIdFromPrivateKey(key).toString())
    const store = openStore({ path: MEMORY_PATH })
    const n = { key, id: peerIdFromPrivateKey(key).toString(), bytes: self.bytes, store, sent: [] } as unknown as Node
    n.engine = createGroups({
      key,
      self,
      store,
      control: {
        send: (to, kind, body) => { if (kind === ControlKind.GROUP) n.sent.push({ to, body: GroupControl.decode(body) }) },
        handle: (_kind, h) => { n.handler = h }
      },
      pubsub: {
        topicValidators: new Map(),
        addEventListener: () => {},
        removeEventListener: () => {},
        subscribe: () => {},
        unsubscribe: () => {},
        publish: async () => ({ recipients: [] }),
        getSubscribers: () => []
      } as never,
      libp2p: { dial: async () => { throw new Error('no network') }, getConnections: () => [] } as never,
      logger: recordingLogger(),
      events: { message: () => {}, changed: () => {}, state: () => {} }
    }, init)
    n.engine.start()
    open.push(n)
    return n
  }

  /** Hands `from`'s queued control payloads for `to` over, as the DM channel would. */
  async function deliver (from: Node, to: Node): Promise<void> {
    const mine = from.sent.filter(s => s.to === to.id)
    from.sent = from.sent.filter(s => s.to !== to.id)
    for (const s of mine) await to.handler!(from.id, GroupControl.encode(s.body))
    await settle()
  }

  /** A control payload as `from` would send it. */
  const control = (body: Partial<GroupControl> & { kind: GroupControl.Kind, groupId: Uint8Array }): Uint8Array => GroupControl.encode({
    secret: new Uint8Array(), ops: [], keyId: new Uint8Array(), chainKey: new Uint8Array(), iteration: 0n, signingKey: new Uint8Array(), read: false, ids: [], message: new Uint8Array(), heads: [], ...body
  })

  /** A group of `admin` with `member` in it, both joined, each holding the other's chain. */
  async function pair (): Promise<{ admin: Node, member: Node, group: string }> {
    const admin = await node()
    const member = await node()
    admin.store.contacts.add('m', member.id)
    member.store.contacts.add('a', admin.id)
    const g = await admin.engine.create('g', ['m'])
    await deliver(admin, member)
    await deliver(member, admin)
    await deliver(admin, member)
    expect(member.engine.list().map(x => x.id)).toEqual([g.id])
    return { admin, member, group: g.id }
  }

  it(`ops per group: ${MAX_GROUP_OPS}; the next one authored is refused, the next one received is dropped`, async () => {
    const { admin, member, group } = await pair()
    // CREATE + ADD are 2; renames fill the rest
    for (let i = 2; i < MAX_GROUP_OPS; i++) await admin.engine.rename(group, `n${i}`)
    await expect(admin.engine.rename(group, 'one too many')).rejects.toMatchObject({ name: 'GroupFullError' })
    expect(admin.store.groups.ops(group)).toHaveLength(MAX_GROUP_OPS)
    await deliver(admin, member)
    expect(member.store.groups.ops(group)).toHaveLength(MAX_GROUP_OPS)
    expect(member.engine.get(group).name).toBe(`n${MAX_GROUP_OPS - 1}`)
    // an op the member receives past the bound (signed by the admin on the current heads) is not held
    const idBytes = groupIdBytes(group)
    const last = admin.store.groups.ops(group).at(-1)!
    const extra = signOp(admin.key, { groupId: idBytes, parents: [uint8ArrayFromString(checkOp(last.op, idBytes).hash, 'base16')], author: admin.bytes, at: BigInt(Date.now()), kind: GroupOp.Kind.RENAME, target: new Uint8Array(), name: 'past the bound' })
    await member.handler!(admin.id, control({ kind: GroupControl.Kind.OPS, groupId: idBytes, ops: [extra] }))
    expect(member.store.groups.ops(group)).toHaveLength(MAX_GROUP_OPS)
  }, 120_000)

  it(`groups per node: ${MAX_GROUPS}; the next create is refused and the next invitation dropped`, async () => {
    const n = await node()
    for (let i = 0; i < MAX_GROUPS; i++) await n.engine.create(`g${i}`)
    await expect(n.engine.create('one too many')).rejects.toMatchObject({ name: 'GroupFullError' })
    expect(n.engine.list()).toHaveLength(MAX_GROUPS)
    // an invitation from a contact to a 257th group is dropped, not joined
    const inviter = await node()
    inviter.store.contacts.add('n', n.id)
    n.store.contacts.add('i', inviter.id)
    await inviter.engine.create('theirs', ['n'])
    await deliver(inviter, n)
    expect(n.engine.list()).toHaveLength(MAX_GROUPS)
    expect(n.engine.list().some(g => g.name === 'theirs')).toBe(false)
  }, 120_000)

  it(`pending invitations: ${MAX_PENDING_GROUPS}; the oldest incomplete one goes first`, async () => {
    const n = await node()
    const inviter = await node()
    n.store.contacts.add('i', inviter.id)
    // invitations whose ADD has not arrived: CREATE only, with the secret
    const invites: Array<{ id: Uint8Array, create: Uint8Array, add: Uint8Array, secret: Uint8Array }> = []
    for (let i = 0; i <= MAX_PENDING_GROUPS; i++) {
      const id = random(32)
      const create = signOp(inviter.key, { groupId: id, parents: [], author: inviter.bytes, at: BigInt(Date.now()), kind: GroupOp.Kind.CREATE, target: inviter.bytes, name: `g${i}` })
      const add = signOp(inviter.key, { groupId: id, parents: [uint8ArrayFromString(checkOp(create, id).hash, 'base16')], author: inviter.bytes, at: BigInt(Date.now()), kind: GroupOp.Kind.ADD, target: n.bytes, name: 'n' })
      invites.push({ id, create, add, secret: random(32) })
      await n.handler!(inviter.id, control({ kind: GroupControl.Kind.OPS, groupId: id, secret: invites[i]!.secret, ops: [create] }))
    }
    expect(n.engine.pendingCounts().invitations).toBe(MAX_PENDING_GROUPS)
    // the first (evicted) cannot complete with its ADD alone; the last one joins
    for (const i of [0, MAX_PENDING_GROUPS]) {
      await n.handler!(inviter.id, control({ kind: GroupControl.Kind.OPS, groupId: invites[i]!.id, secret: invites[i]!.secret, ops: [invites[i]!.add] }))
    }
    expect(n.engine.list().map(g => g.id)).toEqual([groupIdString(invites[MAX_PENDING_GROUPS]!.id)])
  })

  it(`early sender keys: ${MAX_PENDING_GROUPS} groups of at most ${MAX_GROUP_MEMBERS} keys`, async () => {
    const n = await node()
    const key = (groupId: Uint8Array): Uint8Array => { const c = newChain(); return control({ kind: GroupControl.Kind.SENDER_KEY, groupId, keyId: c.keyId, chainKey: c.chainKey, signingKey: c.signingKey }) }
    const first = random(32)
    for (let i = 0; i <= MAX_GROUP_MEMBERS; i++) await n.handler!(`peer-${i}`, key(first))
    expect(n.engine.pendingCounts().earlyKeys).toEqual({ groups: 1, keys: MAX_GROUP_MEMBERS })
    for (let i = 0; i < MAX_PENDING_GROUPS; i++) await n.handler!('someone', key(random(32)))
    // the 33rd group pushed the first out
    expect(n.engine.pendingCounts().earlyKeys).toEqual({ groups: MAX_PENDING_GROUPS, keys: MAX_PENDING_GROUPS })
  })

  it(`held frames: ${MAX_HELD_FRAMES} per group while their chain is on its way, the oldest dropped`, async () => {
    const { member, group } = await pair()
    const c = newChain()
    const frames: Uint8Array[] = []
    for (let i = 0; i <= MAX_HELD_FRAMES; i++) {
      const step = chainStep({ chainKey: c.chainKey, iteration: 0n })
      frames.push(GroupFrame.encode(sealFrame({ groupId: groupIdBytes(group), keyId: c.keyId, iteration: BigInt(i), messageKey: step.messageKey, signingSeed: c.signingSeed, plaintext: { groupId: groupIdBytes(group), id: random(16), seq: 1n, sentAt: 1n, text: `t${i}` } })))
      expect(await member.engine.receiveFrame(group, frames[i]!, 'topic')).toBe('held')
    }
    expect(member.engine.pendingCounts(group).held).toBe(MAX_HELD_FRAMES)
  })

  it(`skipped keys per chain: ${MAX_SKIPPED_KEYS}, the oldest dropped`, async () => {
    const { admin, member, group } = await pair()
    const chain = member.engine.chainsOf(group).find(c => c.owner === admin.id)!
    // the admin's own chain state, to seal frames far ahead of what the member has seen
    const own = admin.engine.chainsOf(group).find(c => c.owner === admin.id)!
    expect(own.keyId).toBe(chain.keyId)
    const seed = admin.engine.signingSeedOf(group)
    const frameAt = (iteration: number): Uint8Array => {
      let s = { chainKey: own.chainKey, iteration: own.iteration }
      while (s.iteration < BigInt(iteration)) s = chainStep(s).next
      const step = chainStep(s)
      return GroupFrame.encode(sealFrame({ groupId: groupIdBytes(group), keyId: uint8ArrayFromString(own.keyId, 'base16'), iteration: BigInt(iteration), messageKey: step.messageKey, signingSeed: seed, plaintext: { groupId: groupIdBytes(group), id: random(16), seq: BigInt(iteration + 1), sentAt: 1n, text: `t${iteration}` } }))
    }
    const start = Number(own.iteration)
    expect(await member.engine.receiveFrame(group, frameAt(start + MAX_SKIPPED_KEYS), 'topic')).toBe('ok')
    expect(member.store.groups.skippedCount(group, own.keyId)).toBe(MAX_SKIPPED_KEYS)
    // one step further with one more skipped: still the bound, the oldest (start) gone
    expect(await member.engine.receiveFrame(group, frameAt(start + MAX_SKIPPED_KEYS + 2), 'topic')).toBe('ok')
    expect(member.store.groups.skippedCount(group, own.keyId)).toBe(MAX_SKIPPED_KEYS)
    expect(await member.engine.receiveFrame(group, frameAt(start), 'topic')).toBe('duplicate')
    expect(await member.engine.receiveFrame(group, frameAt(start + 1), 'topic')).toBe('ok')
  }, 60_000)
})
