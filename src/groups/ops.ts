/**
 * Group membership as a set of signed operations (PROTOCOL.md §12.3): each
 * op names its parents (the heads its author knew), so the ops form a
 * hash-linked DAG, and every member computes the same state from the same
 * SET of ops by one deterministic rule — no server orders them:
 *
 * 1. The root is the CREATE op with the smallest hash; ops that do not
 *    descend from it, or whose ancestors are not all present, are ignored
 *    (the latter wait until their parents arrive).
 * 2. The ops are put in one order: a topological order that, among the ops
 *    whose parents are all placed, always places the smallest hash next.
 * 3. Each op is applied in that order if its author is authorized in the
 *    state at that point: admins add, remove, rename and promote; a member
 *    leaves. So of two admins removing each other concurrently, the removal
 *    placed first wins and the other's author is no longer an admin.
 * 4. Remove wins: an ADD of a peer is ignored when an applied REMOVE/LEAVE of
 *    that peer is concurrent with it (neither is an ancestor of the other).
 * 5. When no admin is left, the remaining member added earliest (in the
 *    order) becomes admin.
 *
 * @module
 */
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { peerFromBytes } from '../crypto/peer.js'
import { GroupOp, SignedGroupOp } from '../pb/group.js'
import { MAX_GROUP_MEMBERS, MAX_GROUP_NAME_BYTES, MAX_OP_PARENTS } from './constants.js'
import { opHash, verifyOpSignature } from './crypto.js'

/** An op checked for form and signature. */
export interface CheckedOp {
  hash: string
  signed: Uint8Array
  op: GroupOp
  author: string
  target: string
  parents: string[]
}

/** A member in a computed state. */
export interface StateMember {
  peerId: string
  role: 'admin' | 'member'
  /** The name the adder gave (untrusted). */
  name: string
  /** Position of the op that added it, in the order. */
  addedAt: number
}

/** The state computed from a set of ops. */
export interface GroupState {
  name: string
  creator: string
  createdAt: number
  members: Map<string, StateMember>
  /** Peers removed or left, by who (the peer itself for a leave). */
  gone: Map<string, { by: string, left: boolean }>
  /** Ops applied, in order (hashes). */
  applied: string[]
  /** Ops present but not applied (unauthorized, superseded). */
  ignored: string[]
  /** Ops waiting for parents. */
  waiting: string[]
  /** The current heads (ops no other placed op names as parent). */
  heads: string[]
}

/** Decodes and checks one signed op of `groupId`; throws RangeError with the reason. */
export function checkOp (signed: Uint8Array, groupId: Uint8Array): CheckedOp {
  const outer = SignedGroupOp.decode(signed)
  const op = GroupOp.decode(outer.op, { limits: { parents: MAX_OP_PARENTS } })
  if (!Buffer.from(op.groupId).equals(Buffer.from(groupId))) throw new RangeError('op of another group')
  if (Buffer.byteLength(op.name) > MAX_GROUP_NAME_BYTES) throw new RangeError('op name too long')
  if (op.parents.length > MAX_OP_PARENTS) throw new RangeError('too many parents')
  const parents = op.parents.map(p => {
    if (p.byteLength !== 32) throw new RangeError('parent is not a 32-byte hash')
    return uint8ArrayToString(p, 'base16')
  })
  if (new Set(parents).size !== parents.length) throw new RangeError('duplicate parent')
  if ((op.kind === GroupOp.Kind.CREATE) !== (parents.length === 0)) throw new RangeError('only CREATE has no parents')
  if (!Object.values(GroupOp.Kind).includes(op.kind)) throw new RangeError('unknown op kind')
  const author = peerFromBytes(op.author, 'op author')
  const target = op.target.byteLength > 0 ? peerFromBytes(op.target, 'op target').peerId.toString() : ''
  if (!verifyOpSignature(author.publicKey.raw, outer.op, outer.signature)) throw new RangeError('bad op signature')
  return { hash: opHash(signed), signed, op, author: author.peerId.toString(), target, parents }
}

/** Computes the group state from a set of checked ops (§12.3). */
export function resolveState (ops: Map<string, CheckedOp>): GroupState | undefined {
  let root: CheckedOp | undefined
  for (const o of ops.values()) {
    if (o.op.kind === GroupOp.Kind.CREATE && (root == null || o.hash < root.hash)) root = o
  }
  if (root == null) return undefined
  // topological order, smallest hash first among the ready; only descendants of the root
  const children = new Map<string, string[]>()
  const missing = new Map<string, number>()
  for (const o of ops.values()) {
    if (o.op.kind === GroupOp.Kind.CREATE) continue
    let n = 0
    for (const p of o.parents) {
      n++
      const list = children.get(p)
      if (list == null) children.set(p, [o.hash])
      else list.push(o.hash)
    }
    missing.set(o.hash, n)
  }
  const order: CheckedOp[] = []
  const ready: string[] = [root.hash]
  while (ready.length > 0) {
    ready.sort()
    const h = ready.shift() as string
    const o = ops.get(h) as CheckedOp
    order.push(o)
    for (const c of children.get(h) ?? []) {
      const left = (missing.get(c) ?? 0) - 1
      missing.set(c, left)
      if (left === 0) ready.push(c)
    }
  }
  const placed = new Set(order.map(o => o.hash))
  const state: GroupState = {
    name: root.op.name,
    creator: root.author,
    createdAt: Number(root.op.at > BigInt(Number.MAX_SAFE_INTEGER) ? 0n : root.op.at),
    members: new Map([[root.author, { peerId: root.author, role: 'admin', name: '', addedAt: 0 }]]),
    gone: new Map(),
    applied: [root.hash],
    ignored: [],
    waiting: [...ops.keys()].filter(h => !placed.has(h)),
    heads: []
  }
  const ancestorMemo = new Map<string, Set<string>>()
  const ancestors = (h: string): Set<string> => {
    let set = ancestorMemo.get(h)
    if (set != null) return set
    set = new Set()
    const stack = [...(ops.get(h)?.parents ?? [])]
    while (stack.length > 0) {
      const p = stack.pop() as string
      if (set.has(p)) continue
      set.add(p)
      stack.push(...(ops.get(p)?.parents ?? []))
    }
    ancestorMemo.set(h, set)
    return set
  }
  /** Applied removals (and leaves) by target: their hashes. */
  const removals = new Map<string, string[]>()
  for (let i = 1; i < order.length; i++) {
    const o = order[i] as CheckedOp
    const author = state.members.get(o.author)
    const isAdmin = author?.role === 'admin'
    let applied = false
    switch (o.op.kind) {
      case GroupOp.Kind.ADD: {
        const concurrentRemoval = (removals.get(o.target) ?? []).some(r => !ancestors(o.hash).has(r) && !ancestors(r).has(o.hash))
        if (isAdmin && o.target !== '' && !state.members.has(o.target) && state.members.size < MAX_GROUP_MEMBERS && !concurrentRemoval) {
          state.members.set(o.target, { peerId: o.target, role: 'member', name: o.op.name, addedAt: i })
          state.gone.delete(o.target)
          applied = true
        }
        break
      }
      case GroupOp.Kind.REMOVE:
      case GroupOp.Kind.LEAVE: {
        const target = o.op.kind === GroupOp.Kind.LEAVE ? o.author : o.target
        const allowed = o.op.kind === GroupOp.Kind.LEAVE ? author != null : (isAdmin || o.target === o.author)
        if (allowed && target !== '') {
          if (state.members.delete(target)) state.gone.set(target, { by: o.author, left: target === o.author })
          const list = removals.get(target) ?? []
          list.push(o.hash)
          removals.set(target, list)
          applied = true
        }
        break
      }
      case GroupOp.Kind.RENAME:
        if (isAdmin) { state.name = o.op.name; applied = true }
        break
      case GroupOp.Kind.PROMOTE: {
        const target = state.members.get(o.target)
        if (isAdmin && target != null) { target.role = 'admin'; applied = true }
        break
      }
      default:
        break
    }
    if (applied) state.applied.push(o.hash)
    else state.ignored.push(o.hash)
    if (applied && state.members.size > 0 && ![...state.members.values()].some(m => m.role === 'admin')) {
      // nobody may change the group any more: the earliest-added member takes over
      const first = [...state.members.values()].sort((a, b) => a.addedAt - b.addedAt)[0]
      if (first != null) first.role = 'admin'
    }
  }
  const named = new Set<string>()
  for (const o of order) for (const p of o.parents) named.add(p)
  state.heads = order.filter(o => !named.has(o.hash)).map(o => o.hash).sort()
  return state
}
