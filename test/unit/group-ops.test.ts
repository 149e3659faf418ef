import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { MAX_GROUP_MEMBERS } from '../../src/groups/constants.js'
import { random, signOp } from '../../src/groups/crypto.js'
import { checkOp, resolveState } from '../../src/groups/ops.js'
import { GroupOp } from '../../src/pb/group.js'
import type { CheckedOp } from '../../src/groups/ops.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

interface Who { key: Ed25519PrivateKey, id: string, bytes: Uint8Array }
async function who (): Promise<Who> {
  const key = await generateKeyPair('Ed25519')
  const peer = peerIdFromPrivateKey(key)
  return { key, id: peer.toString(), bytes: peer.toMultihash().bytes }
}

function op (groupId: Uint8Array, author: Who, kind: GroupOp.Kind, parents: CheckedOp[], target?: Who, name = '', at = 1n): CheckedOp {
  return checkOp(signOp(author.key, {
    groupId, parents: parents.map(p => Buffer.from(p.hash, 'hex')), author: author.bytes, at, kind, target: (target ?? author).bytes, name
  }), groupId)
}

const set = (...ops: CheckedOp[]): Map<string, CheckedOp> => new Map(ops.map(o => [o.hash, o]))
/** Every order of arrival gives the same state: resolve from shuffled insertion orders. */
function resolveAllOrders (ops: CheckedOp[]): string[] {
  const results = new Set<string>()
  for (let i = 0; i < 12; i++) {
    const shuffled = [...ops].sort(() => Math.random() - 0.5)
    const state = resolveState(set(...shuffled))
    results.add(JSON.stringify([...(state?.members.entries() ?? [])].sort()))
  }
  return [...results]
}

describe('group membership ops (PROTOCOL.md §12.3)', () => {
  it('applies create, add, rename, promote, leave in order; non-admins cannot change membership', async () => {
    const [a, b, c] = await Promise.all([who(), who(), who()])
    const g = random(32)
    const create = op(g, a, GroupOp.Kind.CREATE, [], a, 'g')
    const addB = op(g, a, GroupOp.Kind.ADD, [create], b)
    const addCbyB = op(g, b, GroupOp.Kind.ADD, [addB], c)
    const rename = op(g, a, GroupOp.Kind.RENAME, [addCbyB], undefined, 'renamed')
    const state = resolveState(set(create, addB, addCbyB, rename))!
    expect([...state.members.keys()].sort()).toEqual([a.id, b.id].sort())
    expect(state.ignored).toEqual([addCbyB.hash])
    expect(state.name).toBe('renamed')
    expect(state.heads).toEqual([rename.hash])
    const promote = op(g, a, GroupOp.Kind.PROMOTE, [rename], b)
    const addC = op(g, b, GroupOp.Kind.ADD, [promote], c)
    const leaveA = op(g, a, GroupOp.Kind.LEAVE, [addC])
    const after = resolveState(set(create, addB, addCbyB, rename, promote, addC, leaveA))!
    expect(after.members.get(b.id)?.role).toBe('admin')
    expect(after.members.has(c.id)).toBe(true)
    expect(after.members.has(a.id)).toBe(false)
    expect(after.gone.get(a.id)).toEqual({ by: a.id, left: true })
  })

  it('concurrent add and remove of the same member: remove wins, in every arrival order', async () => {
    const [a, b, x] = await Promise.all([who(), who(), who()])
    const g = random(32)
    const create = op(g, a, GroupOp.Kind.CREATE, [], a, 'g')
    const addB = op(g, a, GroupOp.Kind.ADD, [create], b)
    const promote = op(g, a, GroupOp.Kind.PROMOTE, [addB], b)
    const addX = op(g, a, GroupOp.Kind.ADD, [promote], x)
    // x is in; now a re-adds x (a no-op) while b removes x, concurrently: and b's remove races a fresh add after a leave
    const leaveX = op(g, x, GroupOp.Kind.LEAVE, [addX])
    const removeX = op(g, b, GroupOp.Kind.REMOVE, [leaveX], x)
    // the hard case: the removal is placed BEFORE the concurrent add (so only the rule keeps x out)
    let readdX = op(g, a, GroupOp.Kind.ADD, [leaveX], x)
    for (let at = 2n; readdX.hash < removeX.hash; at++) readdX = op(g, a, GroupOp.Kind.ADD, [leaveX], x, '', at)
    const results = resolveAllOrders([create, addB, promote, addX, leaveX, readdX, removeX])
    expect(results).toHaveLength(1)
    const state = resolveState(set(create, addB, promote, addX, leaveX, readdX, removeX))!
    expect(state.members.has(x.id)).toBe(false)
    // a later add that has seen the removal brings x back
    const again = op(g, a, GroupOp.Kind.ADD, [readdX, removeX], x)
    expect(resolveState(set(create, addB, promote, addX, leaveX, readdX, removeX, again))!.members.has(x.id)).toBe(true)
  })

  it('two admins removing each other concurrently: the one placed first (smaller hash) wins, everywhere', async () => {
    const [a, b, c] = await Promise.all([who(), who(), who()])
    const g = random(32)
    const create = op(g, a, GroupOp.Kind.CREATE, [], a, 'g')
    const addB = op(g, a, GroupOp.Kind.ADD, [create], b)
    const addC = op(g, a, GroupOp.Kind.ADD, [addB], c)
    const promote = op(g, a, GroupOp.Kind.PROMOTE, [addC], b)
    const aRemovesB = op(g, a, GroupOp.Kind.REMOVE, [promote], b)
    const bRemovesA = op(g, b, GroupOp.Kind.REMOVE, [promote], a)
    const all = [create, addB, addC, promote, aRemovesB, bRemovesA]
    expect(resolveAllOrders(all)).toHaveLength(1)
    const state = resolveState(set(...all))!
    const first = aRemovesB.hash < bRemovesA.hash ? aRemovesB : bRemovesA
    const winner = first === aRemovesB ? a : b
    const loser = first === aRemovesB ? b : a
    expect(state.members.has(winner.id)).toBe(true)
    expect(state.members.has(loser.id)).toBe(false)
    expect(state.members.has(c.id)).toBe(true)
  })

  it('ops waiting for parents are not applied; a forged signature or another group\'s op is refused', async () => {
    const [a, b, m] = await Promise.all([who(), who(), who()])
    const g = random(32)
    const create = op(g, a, GroupOp.Kind.CREATE, [], a, 'g')
    const addB = op(g, a, GroupOp.Kind.ADD, [create], b)
    const addM = op(g, a, GroupOp.Kind.ADD, [addB], m)
    const state = resolveState(set(create, addM))!
    expect(state.waiting).toEqual([addM.hash])
    expect(state.members.has(m.id)).toBe(false)
    // m signs an op naming a as its author: the signature does not verify under a's key
    const forged = { groupId: g, parents: [Buffer.from(addB.hash, 'hex')], author: a.bytes, at: 1n, kind: GroupOp.Kind.PROMOTE, target: m.bytes, name: '' }
    expect(() => checkOp(signOp(m.key, forged), g)).toThrow(/signature/)
    expect(() => checkOp(addB.signed, random(32))).toThrow(/another group/)
  })

  it('bounds the group at MAX_GROUP_MEMBERS', async () => {
    const a = await who()
    const g = random(32)
    const create = op(g, a, GroupOp.Kind.CREATE, [], a, 'g')
    const ops = [create]
    let prev = create
    for (let i = 0; i < MAX_GROUP_MEMBERS + 2; i++) {
      prev = op(g, a, GroupOp.Kind.ADD, [prev], await who())
      ops.push(prev)
    }
    const state = resolveState(set(...ops))!
    expect(state.members.size).toBe(MAX_GROUP_MEMBERS)
    // the creator and 99 adds; the last 3 adds are ignored
    expect(state.ignored).toHaveLength(3)
  })
})
