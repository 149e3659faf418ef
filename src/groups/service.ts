/**
 * The group engine (issue 16, PROTOCOL.md §12): Signal-style Sender Keys
 * distributed pairwise over the forward-secret DM control channel, frames on
 * one unsigned gossipsub topic per group, membership as a DAG of signed ops
 * resolved by one deterministic rule (src/groups/ops.ts), receipts and
 * catch-up over the control channel.
 *
 * - Each member has a sender chain per group (src/groups/crypto.ts); it hands
 *   the chain, at its current step, to every other member (GroupControl
 *   SENDER_KEY). A member joining gets chains at their current step only: it
 *   cannot read what came before.
 * - When a member leaves or is removed, every remaining member starts a new
 *   chain (new chain key, new signing key) and hands it to the remaining
 *   members only: the one gone reads nothing sent afterwards. Chains also
 *   rotate after {@link ROTATE_AFTER_MESSAGES} messages or
 *   {@link ROTATE_AFTER_MS} (post-compromise recovery).
 * - A message is stored, then published on the group topic; a recipient that
 *   has not acknowledged it within {@link CATCH_UP_AFTER_MS} gets the same
 *   frame over the control channel (directly, else into its mailboxes).
 *   Receivers dedupe by message id and by chain step.
 *
 * @module
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { repeatingTask } from '@libp2p/utils'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { InvalidArgumentError, MessageTooLargeError } from '../base-errors.js'
import { createSecretBox } from '../keys/data-key.js'
import { ControlKind } from '../messaging/control-payload.js'
import { GroupControl, GroupFrame, GroupOp } from '../pb/group.js'
import { ContactNotFoundError } from '../store/errors.js'
import { guard } from '../util/guard.js'
import { systemClock } from '../util/clock.js'
import { MAX_WIRE_UINT } from '../util/wire-int.js'
import {
  CATCH_UP_AFTER_MS, FRAMES_PER_PEER_PER_MINUTE, MAX_CHAIN_JUMP, MAX_CHAINS_PER_SENDER, MAX_FRAME_BYTES, MAX_GROUP_MEMBERS, MAX_GROUP_NAME_BYTES,
  MAX_GROUP_OPS, MAX_GROUP_TEXT_BYTES, MAX_GROUPS, MAX_HELD_FRAMES, MAX_OP_PARENTS, MAX_PENDING_GROUPS, MAX_PENDING_OPS, MAX_RECEIPT_IDS,
  MAX_SKIPPED_KEYS, RECEIPT_BATCH_MS, ROTATE_AFTER_MESSAGES, ROTATE_AFTER_MS
} from './constants.js'
import { chainStep, groupIdBytes, groupIdString, groupTopic, newChain, openFrame, random, sealFrame, signOp, verifyFrame } from './crypto.js'
import { AmbiguousGroupError, GroupFullError, GroupNotFoundError, NotGroupAdminError, NotGroupMemberError } from './errors.js'
import { checkOp, resolveState } from './ops.js'
import type { GroupChangeEvent, GroupInfo, GroupMessage, GroupMessageState, Groups } from './api.js'
import type { CheckedOp, GroupState } from './ops.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { ControlChannel } from '../messaging/control.js'
import type { GroupMessageRow, Store } from '../store/index.js'
import type { Clock } from '../util/clock.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { ComponentLogger, Ed25519PrivateKey, Libp2p, PeerId } from '@libp2p/interface'

/** What the group engine needs. */
export interface GroupsComponents {
  key: Ed25519PrivateKey
  self: Ed25519Peer
  store: Pick<Store, 'groups' | 'contacts' | 'blocklist' | 'transaction'>
  control: Pick<ControlChannel, 'send' | 'handle'> & Partial<Pick<ControlChannel, 'known' | 'onResend'>>
  /** The unsigned gossipsub (presence v2's): frames carry no author. */
  pubsub: Pick<GossipSub, 'topicValidators' | 'addEventListener' | 'removeEventListener' | 'subscribe' | 'unsubscribe' | 'publish' | 'getSubscribers'>
  libp2p: Pick<Libp2p, 'dial' | 'getConnections'> & Partial<Pick<Libp2p, 'addEventListener' | 'removeEventListener'>>
  logger: ComponentLogger
  events: {
    message(m: GroupMessage): void
    changed(c: GroupChangeEvent): void
    state(s: GroupMessageState): void
  }
  /** A contact's presence status, if known. */
  presenceOf?(peer: string): string | undefined
  /** @default the system clock */
  clock?: Clock
}

/** Options of {@link createGroups}. */
export interface GroupsInit {
  /** Send read receipts for group messages. @default false */
  readReceipts?: boolean
  /** @default CATCH_UP_AFTER_MS */
  catchUpAfterMs?: number
  /** @default ROTATE_AFTER_MESSAGES */
  rotateAfterMessages?: number
  /** @default ROTATE_AFTER_MS */
  rotateAfterMs?: number
  /** @default MAX_GROUPS */
  maxGroups?: number
  /** @default MAX_HELD_FRAMES */
  maxHeldFrames?: number
}

/** The engine: the {@link Groups} API plus what the node wires. */
export interface GroupsService extends Groups {
  start(): void
  stop(): Promise<void>
  /** Whether `peer` is (or was) a member of an active group this node is in (its control payloads need no stranger's stamp). */
  isCoMember(peer: string): boolean
  setReadReceipts(on: boolean): void
  /** @internal for tests: the topic of a group, and its secret-derived state. */
  topicOf(group: string): string
  /** Makes a member an admin (admin only). Not yet in the `Groups` interface. */
  promote(group: string, member: string): Promise<GroupInfo>
  /** @internal for tests playing a removed member: copies of the chains this node holds for a group. */
  chainsOf(group: string): Array<{ keyId: string, owner: string, chainKey: Uint8Array, iteration: bigint }>
  /** @internal for tests of the bounds: pending invitations, early keys (groups, keys) and, for a group, its held frames. */
  pendingCounts(group?: string): { invitations: number, earlyKeys: { groups: number, keys: number }, held: number }
  /** @internal for tests playing this node's chain: the signing seed of its current chain in a group. */
  signingSeedOf(group: string): Uint8Array
  /** @internal for tests and benches: handles a frame as if it came from the topic. */
  receiveFrame(groupId: string, bytes: Uint8Array, via: 'topic' | 'control'): Promise<'ok' | 'held' | 'rejected' | 'duplicate'>
}

interface Chain {
  keyId: string
  owner: string
  chainKey: Uint8Array
  iteration: bigint
  signingKey: Uint8Array
  signingSeed?: Uint8Array
  createdAt: number
  sent: number
}

interface Live {
  id: string
  idBytes: Uint8Array
  secret: Uint8Array
  topic: string
  ops: Map<string, CheckedOp>
  state: GroupState
  status: 'active' | 'left' | 'removed'
  joinedAt: number
  lastActivity: number | null
  /** Chains by key id (hex), own included. */
  chains: Map<string, Chain>
  /** This node's current chain. */
  own?: Chain
  /** Members the current own chain was handed to. */
  ownSentTo: Set<string>
  /** Frames whose chain has not arrived yet. */
  held: Array<{ bytes: Uint8Array, at: number }>
}

const hex = (b: Uint8Array): string => uint8ArrayToString(b, 'base16')
/** How long a sender keeps a frame some member has not acknowledged (a mailbox keeps a copy as long), in ms. */
const KEEP_FRAME_MS = 14 * 24 * 60 * 60_000
/** Most unacknowledged messages whose hand-offs are remembered (in memory; past it, one is handed off again). */
const MAX_HANDED_OFF = 10_000
const unhex = (s: string): Uint8Array => uint8ArrayFromString(s, 'base16')

/** Creates the group engine. */
export function createGroups (components: GroupsComponents, init: GroupsInit = {}): GroupsService {
  const { key, self, store, control, pubsub, libp2p } = components
  const log = components.logger.forComponent('natter:groups')
  const clock = components.clock ?? systemClock
  const catchUpAfterMs = init.catchUpAfterMs ?? CATCH_UP_AFTER_MS
  const rotateAfterMessages = init.rotateAfterMessages ?? ROTATE_AFTER_MESSAGES
  const rotateAfterMs = init.rotateAfterMs ?? ROTATE_AFTER_MS
  const maxGroups = init.maxGroups ?? MAX_GROUPS
  const maxHeld = init.maxHeldFrames ?? MAX_HELD_FRAMES
  let readReceipts = init.readReceipts ?? false
  const me = self.peerId.toString()
  const box = createSecretBox(key)
  const groups = new Map<string, Live>()
  /** Invitations whose ops are not complete yet, by group id: bounded. */
  const pendingInvites = new Map<string, { from: string, secret?: Uint8Array, ops: Map<string, CheckedOp>, at: number }>()
  /** Sender keys that arrived before the invitation, by group id: bounded. */
  const earlyKeys = new Map<string, Array<{ from: string, body: GroupControl }>>()
  /** Receipts waiting for their batch, by `${peer}\0${group}\0${read}`. */
  const receiptBatches = new Map<string, Set<string>>()
  let receiptTimer: ReturnType<typeof setTimeout> | undefined
  let receiptSlot = 0
  /** Unacknowledged messages already handed to the control channel, by message id: to whom, when (in memory). */
  const handedOff = new Map<string, Map<string, number>>()
  /** Frames accepted per propagation peer in the current minute (validator flood bound). */
  let frameCounts = new Map<string, number>()
  let running = false

  const seal = (label: string, ctx: string, secret: Uint8Array): Uint8Array => box.seal(label, uint8ArrayFromString(ctx), secret)
  // a copy: SQLite hands back Buffers, whose slice() is a view, and src/crypto/native.ts's hchacha20 reads `nonce.slice().buffer`
  const open = (label: string, ctx: string, sealed: Uint8Array): Uint8Array => box.open(label, uint8ArrayFromString(ctx), new Uint8Array(sealed))

  // ---- loading and persisting ----

  function loadAll (): void {
    for (const row of store.groups.list()) {
      try {
        const idBytes = groupIdBytes(row.id)
        const secret = open('group secret', row.id, row.secret)
        const ops = new Map<string, CheckedOp>()
        for (const { op } of store.groups.ops(row.id)) {
          try {
            const c = checkOp(op, idBytes)
            ops.set(c.hash, c)
          } catch (err) {
            log.error('stored op of %s unreadable: %s', row.id, (err as Error).message)
          }
        }
        const state = resolveState(ops)
        if (state == null) continue
        const live: Live = {
          id: row.id, idBytes, secret, topic: groupTopic(secret), ops, state, status: row.state as Live['status'], joinedAt: row.joinedAt,
          lastActivity: row.lastActivity, chains: new Map(), ownSentTo: new Set(), held: []
        }
        for (const c of store.groups.chains(row.id)) {
          const ctx = `${row.id}/${c.keyId}`
          const chain: Chain = {
            keyId: c.keyId,
            owner: c.owner,
            chainKey: open('group chain', ctx, c.chainKey),
            iteration: BigInt(c.iteration),
            signingKey: c.signingKey,
            signingSeed: c.signingSeed != null ? open('group signing key', ctx, c.signingSeed) : undefined,
            createdAt: c.createdAt,
            sent: c.sent
          }
          live.chains.set(c.keyId, chain)
          if (c.owner === me && chain.signingSeed != null && (live.own == null || chain.createdAt >= live.own.createdAt)) live.own = chain
        }
        groups.set(row.id, live)
      } catch (err) {
        log.error('group %s unreadable: %s', row.id, (err as Error).message)
      }
    }
  }

  function persistChain (live: Live, c: Chain): void {
    const ctx = `${live.id}/${c.keyId}`
    store.groups.putChain({
      groupId: live.id,
      keyId: c.keyId,
      owner: c.owner,
      chainKey: seal('group chain', ctx, c.chainKey),
      iteration: Number(c.iteration),
      signingKey: c.signingKey,
      signingSeed: c.signingSeed != null ? seal('group signing key', ctx, c.signingSeed) : null,
      createdAt: c.createdAt,
      sent: c.sent
    })
  }

  // ---- views ----

  function info (live: Live): GroupInfo {
    const members = [...live.state.members.values()].map(m => {
      const contact = store.contacts.get(m.peerId)
      const status = contact != null ? components.presenceOf?.(m.peerId) : undefined
      return {
        peerId: m.peerId,
        name: m.peerId === me ? 'me' : (contact?.name ?? m.name),
        role: m.role,
        isContact: contact != null,
        presence: (status === 'online' || status === 'away' || status === 'busy' || status === 'offline' ? status : 'unknown') as GroupInfo['members'][number]['presence']
      }
    })
    return {
      id: live.id,
      name: live.state.name,
      members,
      role: live.state.members.get(me)?.role ?? 'member',
      createdAt: live.state.createdAt,
      unread: store.groups.unread(live.id),
      lastActivity: live.lastActivity ?? undefined,
      state: live.status
    }
  }

  function toMessage (row: GroupMessageRow): GroupMessage {
    const m: GroupMessage = {
      id: row.id, groupId: row.groupId, from: row.sender, direction: row.direction, text: row.text, sentAt: row.sentAt, receivedAt: row.receivedAt, seq: row.seq, read: row.read
    }
    if (row.direction === 'out') {
      const receipts = store.groups.receipts(row.id)
      m.deliveredTo = [...new Set(receipts.map(r => r.peer))]
      m.readBy = receipts.filter(r => r.state === 'read').map(r => r.peer)
      m.recipients = row.recipients?.length ?? 0
    }
    return m
  }

  function find (group: string): Live {
    const exact = groups.get(group)
    if (exact != null) return exact
    const matches = new Set<Live>()
    if (group.length >= 6) for (const g of groups.values()) if (g.id.startsWith(group)) matches.add(g)
    if (matches.size === 0) for (const g of groups.values()) if (g.state.name === group) matches.add(g)
    if (matches.size === 1) return [...matches][0] as Live
    if (matches.size > 1) throw new AmbiguousGroupError(`"${group}" matches ${matches.size} groups; give more of the group id`)
    throw new GroupNotFoundError(`no group "${group}"`)
  }

  function active (group: string): Live {
    const live = find(group)
    if (live.status !== 'active') throw new NotGroupMemberError(`this node ${live.status === 'left' ? 'left' : 'was removed from'} group ${live.id}`)
    return live
  }

  function resolveContact (member: string): string {
    const contact = store.contacts.get(member) ?? store.contacts.getByName(member)
    if (contact == null) throw new ContactNotFoundError(`no contact "${member}"; only contacts can be added to a group`)
    if (store.blocklist.isBlocked(contact.peerId)) throw new InvalidArgumentError(`"${member}" is blocked`)
    return contact.peerId
  }

  // ---- ops ----

  /** Authors an op on the group's current heads, stores and applies it, and sends it to the members (and the target). */
  function author (live: Live, kind: GroupOp.Kind, target: string, name: string): CheckedOp {
    if (live.ops.size >= MAX_GROUP_OPS) throw new GroupFullError(`group ${live.id} holds ${MAX_GROUP_OPS} membership changes, its limit`)
    const op: GroupOp = {
      groupId: live.idBytes,
      parents: live.state.heads.slice(-MAX_OP_PARENTS).map(unhex),
      author: self.bytes,
      at: BigInt(clock.now()),
      kind,
      target: target === '' ? new Uint8Array() : peerIdFromString(target).toMultihash().bytes,
      name
    }
    const checked = checkOp(signOp(key, op), live.idBytes)
    const before = new Set(live.state.members.keys())
    addOps(live, [checked])
    const recipients = new Set([...before, ...live.state.members.keys()])
    recipients.delete(me)
    for (const peer of recipients) {
      if (kind === GroupOp.Kind.ADD && peer === target) continue
      sendControl(peer, { kind: GroupControl.Kind.OPS, groupId: live.idBytes, ops: [checked.signed] }, `o:${live.id}:${checked.hash}`)
    }
    if (kind === GroupOp.Kind.ADD) invite(live, target)
    return checked
  }

  /** Sends the invitee every op and the secret, in payloads that fit the control channel. */
  function invite (live: Live, peer: string): void {
    const all = [...live.ops.values()].map(o => o.signed)
    let chunk: Uint8Array[] = []
    let size = 0
    const flush = (): void => {
      if (chunk.length === 0) return
      sendControl(peer, { kind: GroupControl.Kind.OPS, groupId: live.idBytes, secret: live.secret, ops: chunk }, `o:${live.id}:${hex(chunk[0] as Uint8Array).slice(0, 16)}:${chunk.length}`)
      chunk = []
      size = 0
    }
    for (const o of all) {
      if (size + o.byteLength + 8 > 3500) flush()
      chunk.push(o)
      size += o.byteLength + 8
    }
    flush()
  }

  /** Adds checked ops to a group (stored), recomputes its state and reacts to the change. */
  function addOps (live: Live, ops: CheckedOp[]): void {
    const fresh = ops.filter(o => !live.ops.has(o.hash))
    if (fresh.length === 0) return
    if (live.ops.size + fresh.length > MAX_GROUP_OPS) {
      log('group %s: op limit reached, %d ops dropped', live.id, fresh.length)
      return
    }
    const next = new Map(live.ops)
    for (const o of fresh) next.set(o.hash, o)
    const state = resolveState(next)
    if (state == null) return
    store.transaction(() => {
      for (const o of fresh) store.groups.addOp(live.id, o.hash, o.signed)
    })
    const prev = live.state
    live.ops = next
    live.state = state
    react(live, prev)
  }

  /** What follows a state change: rotation on removal, keys to new members, events. */
  function react (live: Live, prev: GroupState): void {
    const was = prev.members
    const now = live.state.members
    const wasMember = was.has(me)
    const isMember = now.has(me)
    if (wasMember && !isMember) {
      const gone = live.state.gone.get(me)
      live.status = gone?.left === true ? 'left' : 'removed'
      store.groups.setState(live.id, live.status)
      unsubscribe(live)
      // nothing more is sent under our chain; keep others' chains for what is already in flight? no: drop all secrets
      for (const c of live.chains.values()) store.groups.deleteChain(live.id, c.keyId)
      live.chains.clear()
      live.own = undefined
      components.events.changed({ group: info(live), change: live.status, by: gone?.by })
      return
    }
    if (!wasMember && isMember && live.status !== 'active') {
      live.status = 'active'
      store.groups.setState(live.id, 'active')
      subscribe(live)
      components.events.changed({ group: info(live), change: 'joined' })
    }
    if (!isMember) return
    const removed = [...was.keys()].filter(p => !now.has(p))
    const added = [...now.keys()].filter(p => !was.has(p) && p !== me)
    // co-members now: whoever of them we refused as a stranger is asked to send again (§4.4.1)
    for (const peer of wasMember ? added : [...now.keys()]) if (peer !== me) control.known?.(peer)
    for (const peer of removed) {
      // the gone member's chains are dead
      for (const c of [...live.chains.values()]) {
        if (c.owner === peer) {
          live.chains.delete(c.keyId)
          store.groups.deleteChain(live.id, c.keyId)
        }
      }
      const gone = live.state.gone.get(peer)
      components.events.changed({ group: info(live), change: gone?.left === true ? 'member-left' : 'member-removed', member: peer, by: gone?.by })
    }
    if (removed.length > 0) {
      rotate(live)
    } else {
      for (const peer of added) sendOwnKey(live, peer)
    }
    for (const peer of added) {
      components.events.changed({ group: info(live), change: 'member-added', member: peer, by: [...live.ops.values()].find(o => o.op.kind === GroupOp.Kind.ADD && o.target === peer)?.author })
    }
    if (prev.name !== live.state.name) components.events.changed({ group: info(live), change: 'renamed' })
    dialMembers(live)
  }

  // ---- chains ----

  /** Starts a new own chain and hands it to every other member. */
  function rotate (live: Live): void {
    const fresh = newChain()
    const chain: Chain = {
      keyId: hex(fresh.keyId), owner: me, chainKey: fresh.chainKey, iteration: 0n, signingKey: fresh.signingKey, signingSeed: fresh.signingSeed, createdAt: clock.now(), sent: 0
    }
    const old = live.own
    live.own = chain
    live.ownSentTo = new Set()
    live.chains.set(chain.keyId, chain)
    store.transaction(() => {
      persistChain(live, chain)
      if (old != null) {
        // our own old chain is never used again: its keys go (others keep theirs for frames in flight)
        live.chains.delete(old.keyId)
        store.groups.deleteChain(live.id, old.keyId)
      }
    })
    for (const peer of live.state.members.keys()) {
      if (peer !== me) sendOwnKey(live, peer)
    }
  }

  function sendOwnKey (live: Live, peer: string): void {
    const own = live.own
    if (own == null || !live.state.members.has(peer)) return
    live.ownSentTo.add(peer)
    sendControl(peer, {
      kind: GroupControl.Kind.SENDER_KEY, groupId: live.idBytes, keyId: unhex(own.keyId), chainKey: own.chainKey, iteration: own.iteration, signingKey: own.signingKey
    }, `k:${live.id}:${own.keyId}`)
  }

  function acceptKey (live: Live, from: string, body: GroupControl): void {
    if (!live.state.members.has(from) || live.status !== 'active') return
    if (body.keyId.byteLength !== 16 || body.chainKey.byteLength !== 32 || body.signingKey.byteLength !== 32 || body.iteration > MAX_WIRE_UINT) return
    const keyId = hex(body.keyId)
    // its first chain for us: it joined, or we did — it may not have ours either, whatever we sent before
    const first = ![...live.chains.values()].some(c => c.owner === from)
    if (first) live.ownSentTo.delete(from)
    if (!live.chains.has(keyId)) {
      const chain: Chain = { keyId, owner: from, chainKey: body.chainKey, iteration: body.iteration, signingKey: body.signingKey, createdAt: clock.now(), sent: 0 }
      live.chains.set(keyId, chain)
      // bounded: a sender's oldest chains go
      const theirs = [...live.chains.values()].filter(c => c.owner === from).sort((a, b) => a.createdAt - b.createdAt)
      store.transaction(() => {
        persistChain(live, chain)
        for (const old of theirs.slice(0, Math.max(0, theirs.length - MAX_CHAINS_PER_SENDER))) {
          live.chains.delete(old.keyId)
          store.groups.deleteChain(live.id, old.keyId)
        }
      })
    }
    // it may not have ours (it joined, or restarted): hand it over once per chain
    if (!live.ownSentTo.has(from)) sendOwnKey(live, from)
    void retryHeld(live)
  }

  function maybeRotate (live: Live): void {
    const own = live.own
    if (own == null || own.sent >= rotateAfterMessages || clock.now() - own.createdAt >= rotateAfterMs) rotate(live)
  }

  // ---- frames ----

  async function retryHeld (live: Live): Promise<void> {
    const held = live.held
    live.held = []
    for (const h of held) {
      await receiveFrame(live.id, h.bytes, 'control', h.at)
    }
  }

  async function receiveFrame (groupId: string, bytes: Uint8Array, via: 'topic' | 'control', heldAt?: number): Promise<'ok' | 'held' | 'rejected' | 'duplicate'> {
    const live = groups.get(groupId)
    if (live == null || live.status !== 'active') return 'rejected'
    if (bytes.byteLength > MAX_FRAME_BYTES) return 'rejected'
    let frame: GroupFrame
    try {
      frame = GroupFrame.decode(bytes)
    } catch {
      return 'rejected'
    }
    if (frame.keyId.byteLength !== 16 || frame.iteration > MAX_WIRE_UINT) return 'rejected'
    const chain = live.chains.get(hex(frame.keyId))
    if (chain == null) {
      // its chain key may still be on its way (control payloads are not ordered): held, bounded
      if (live.held.length >= maxHeld) live.held.shift()
      live.held.push({ bytes, at: heldAt ?? clock.now() })
      return 'held'
    }
    if (chain.owner === me) return 'duplicate'
    if (!verifyFrame(frame, chain.signingKey)) {
      log('group %s: frame with a bad signature (%s)', live.id, via)
      return 'rejected'
    }
    const iteration = Number(frame.iteration)
    let messageKey: Uint8Array | undefined
    let next = { chainKey: chain.chainKey, iteration: chain.iteration }
    const skipped: Array<{ iteration: number, key: Uint8Array }> = []
    let usedSkipped = false
    if (frame.iteration < chain.iteration) {
      const sealedKey = store.groups.getSkipped(live.id, chain.keyId, iteration)
      if (sealedKey == null) return 'duplicate'
      messageKey = open('group skipped key', `${live.id}/${chain.keyId}/${iteration}`, sealedKey)
      usedSkipped = true
    } else {
      if (frame.iteration - chain.iteration > BigInt(MAX_CHAIN_JUMP)) {
        log('group %s: frame %d steps ahead of its chain; dropped', live.id, frame.iteration - chain.iteration)
        return 'rejected'
      }
      while (next.iteration < frame.iteration) {
        const step = chainStep(next)
        skipped.push({ iteration: Number(next.iteration), key: step.messageKey })
        next = step.next
      }
      const step = chainStep(next)
      messageKey = step.messageKey
      next = step.next
    }
    let plain
    try {
      plain = openFrame(frame, live.idBytes, messageKey)
    } catch {
      log('group %s: frame does not open', live.id)
      return 'rejected'
    }
    if (plain.id.byteLength !== 16 || plain.seq < 1n || plain.seq > MAX_WIRE_UINT || plain.sentAt > MAX_WIRE_UINT) return 'rejected'
    const id = hex(plain.id)
    const blocked = store.blocklist.isBlocked(chain.owner)
    const row: GroupMessageRow = {
      id,
      groupId: live.id,
      sender: chain.owner,
      direction: 'in',
      text: plain.text,
      sentAt: Number(plain.sentAt),
      receivedAt: clock.now(),
      seq: Number(plain.seq),
      read: false,
      recipients: null
    }
    let inserted = false
    const prevSeq = store.groups.lastSeq(live.id, chain.owner)
    store.transaction(() => {
      // the chain moves on and the used key goes, in the same commit as the message
      if (usedSkipped) {
        store.groups.deleteSkipped(live.id, chain.keyId, iteration)
      } else {
        for (const s of skipped) {
          store.groups.putSkipped(live.id, chain.keyId, s.iteration, seal('group skipped key', `${live.id}/${chain.keyId}/${s.iteration}`, s.key), MAX_SKIPPED_KEYS)
        }
        chain.chainKey = next.chainKey
        chain.iteration = next.iteration
        persistChain(live, chain)
      }
      // a blocked member's messages are not kept or shown (§12.9)
      if (!blocked && !store.groups.hasMessage(id)) {
        inserted = store.groups.insertMessage(row)
        if (inserted) store.groups.touch(live.id, row.receivedAt)
      }
    })
    if (!inserted) return 'duplicate'
    live.lastActivity = Math.max(live.lastActivity ?? 0, row.receivedAt)
    if (row.seq > prevSeq + 1) log('group %s: gap from %s before seq %d (its sender re-sends what we did not acknowledge)', live.id, chain.owner, row.seq)
    queueReceipt(chain.owner, live.id, id, false)
    components.events.message(toMessage(row))
    return 'ok'
  }

  // ---- receipts ----

  function queueReceipt (peer: string, groupId: string, id: string, read: boolean): void {
    const k = `${peer}\u0000${groupId}\u0000${read ? 1 : 0}`
    let set = receiptBatches.get(k)
    if (set == null) {
      set = new Set()
      receiptBatches.set(k, set)
    }
    set.add(id)
    if (set.size >= MAX_RECEIPT_IDS) flushReceipts()
    else if (receiptTimer == null) receiptTimer = setTimeout(guard(log, 'group receipts', flushReceipts), RECEIPT_BATCH_MS)
  }

  function flushReceipts (): void {
    if (receiptTimer != null) clearTimeout(receiptTimer)
    receiptTimer = undefined
    const batches = [...receiptBatches]
    receiptBatches.clear()
    for (const [k, ids] of batches) {
      const [peer = '', groupId = '', read] = k.split('\u0000')
      const live = groups.get(groupId)
      if (live == null) continue
      const list = [...ids]
      for (let i = 0; i < list.length; i += MAX_RECEIPT_IDS) {
        sendControl(peer, { kind: GroupControl.Kind.RECEIPT, groupId: live.idBytes, read: read === '1', ids: list.slice(i, i + MAX_RECEIPT_IDS).map(unhex) }, `r:${groupId}:${receiptSlot++}`)
      }
    }
  }

  function applyReceipt (live: Live, from: string, body: GroupControl): void {
    const state = body.read ? 'read' : 'delivered'
    const changed: string[] = []
    store.transaction(() => {
      for (const raw of body.ids.slice(0, MAX_RECEIPT_IDS)) {
        const id = hex(raw)
        const m = store.groups.message(id)
        if (m == null || m.direction !== 'out' || m.groupId !== live.id || !(m.recipients ?? []).includes(from)) continue
        if (store.groups.addReceipt(id, from, state, clock.now())) changed.push(id)
        if (state === 'read') store.groups.addReceipt(id, from, 'delivered', clock.now())
        const acked = new Set(store.groups.receipts(id).map(r => r.peer))
        if ((m.recipients ?? []).every(p => acked.has(p))) store.groups.dropFrame(id)
      }
    })
    for (const id of changed) {
      const m = store.groups.message(id)
      if (m == null) continue
      const msg = toMessage(m)
      components.events.state({ groupId: live.id, id, deliveredTo: msg.deliveredTo ?? [], readBy: msg.readBy ?? [], recipients: msg.recipients ?? 0 })
    }
  }

  /**
   * Hands the frames of messages some recipient has not acknowledged to the control channel (direct, else
   * mailboxes), once per recipient; with `peer`, again to that member now (it connected or wrote to us: a mailbox
   * copy may be lost or not fetched yet). A frame is kept until every recipient still a member acknowledged it,
   * at most {@link KEEP_FRAME_MS}.
   */
  function catchUp (peer?: string): void {
    const now = clock.now()
    for (const p of store.groups.pendingFrames()) {
      if (now - p.receivedAt < catchUpAfterMs) continue
      const live = groups.get(p.groupId)
      if (live == null || live.status !== 'active' || now - p.receivedAt > KEEP_FRAME_MS) {
        store.groups.dropFrame(p.id)
        handedOff.delete(p.id)
        continue
      }
      const acked = new Set(store.groups.receipts(p.id).map(r => r.peer))
      const waiting = p.recipients.filter(r => !acked.has(r) && live.state.members.has(r))
      if (waiting.length === 0) {
        store.groups.dropFrame(p.id)
        handedOff.delete(p.id)
        continue
      }
      let sent = handedOff.get(p.id)
      for (const r of waiting) {
        if (sent?.has(r) === true && r !== peer) continue
        const frame = store.groups.frame(p.id)
        if (frame == null) break
        sendControl(r, { kind: GroupControl.Kind.MESSAGE, groupId: live.idBytes, message: frame }, `m:${p.id}`)
        if (sent == null) {
          if (handedOff.size >= MAX_HANDED_OFF) handedOff.delete(handedOff.keys().next().value as string)
          sent = new Map()
          handedOff.set(p.id, sent)
        }
        sent.set(r, now)
      }
    }
  }

  /** A member connected or wrote to us: what it has not acknowledged goes to it again, now (throttled per peer). */
  const lastCatchUp = new Map<string, number>()
  function catchUpWith (peer: string): void {
    if (!running || peer === me) return
    const now = clock.now()
    if (now - (lastCatchUp.get(peer) ?? 0) < catchUpAfterMs) return
    if (![...groups.values()].some(g => g.status === 'active' && g.state.members.has(peer))) return
    if (lastCatchUp.size >= 4096) lastCatchUp.clear()
    lastCatchUp.set(peer, now)
    catchUp(peer)
  }
  const onPeerConnect = guard(log, 'group catch-up on connect', (evt: CustomEvent<{ toString(): string }>): void => { catchUpWith(evt.detail.toString()) })

  // ---- control payloads ----

  function sendControl (peer: string, body: Partial<GroupControl> & { kind: GroupControl.Kind, groupId: Uint8Array }, slot: string): void {
    const heads = groups.get(groupIdString(body.groupId))?.state.heads.slice(-MAX_OP_PARENTS).map(unhex) ?? []
    try {
      control.send(peer, ControlKind.GROUP, GroupControl.encode({
        secret: new Uint8Array(), ops: [], keyId: new Uint8Array(), chainKey: new Uint8Array(), iteration: 0n, signingKey: new Uint8Array(), read: false, ids: [], message: new Uint8Array(), heads, ...body
      }), { slot })
    } catch (err) {
      log.error('group control payload to %s not queued: %s', peer, (err as Error).message)
    }
  }

  async function onControl (from: string, bytes: Uint8Array): Promise<void> {
    if (store.blocklist.isBlocked(from)) return
    // it is online: what it has not acknowledged goes to it directly (its mailbox copy may not have reached it)
    catchUpWith(from)
    const body = GroupControl.decode(bytes, { limits: { ops: 64, ids: MAX_RECEIPT_IDS, heads: MAX_OP_PARENTS } })
    if (body.groupId.byteLength !== 32) return
    const groupId = groupIdString(body.groupId)
    const live = groups.get(groupId)
    log('control %s of %s from %s to %s (secret %d, ops %d)', GroupControl.Kind[body.kind] ?? body.kind, groupId.slice(0, 12), from.slice(-6), me.slice(-6), body.secret.byteLength, body.ops.length)
    if (live == null) {
      onUnknownGroup(from, groupId, body)
      return
    }
    // anti-entropy: a member whose heads we lack has ops we have not seen
    if (live.state.members.has(from) && body.kind !== GroupControl.Kind.OPS) {
      const unknown = body.heads.map(hex).filter(h => h.length === 64 && !live.ops.has(h))
      if (unknown.length > 0) sendControl(from, { kind: GroupControl.Kind.WANT_OPS, groupId: live.idBytes, ops: unknown.map(unhex) }, `w:${groupId}`)
    }
    switch (body.kind) {
      case GroupControl.Kind.OPS: {
        // from a member (or one that was): new ops, maybe for us
        if (!live.state.members.has(from) && !live.state.gone.has(from)) return
        const checked = checkAll(body.ops, live.idBytes)
        addOps(live, checked)
        const missing = missingParents(live.ops)
        // ops whose parents are missing wait in the set: ask the sender for them
        if (missing.length > 0) sendControl(from, { kind: GroupControl.Kind.WANT_OPS, groupId: live.idBytes, ops: missing.slice(0, 64).map(unhex) }, `w:${groupId}`)
        break
      }
      case GroupControl.Kind.WANT_OPS: {
        if (!live.state.members.has(from)) return
        const ops = body.ops.map(h => live.ops.get(hex(h))?.signed).filter((o): o is Uint8Array => o != null)
        if (ops.length > 0) sendControl(from, { kind: GroupControl.Kind.OPS, groupId: live.idBytes, ops }, `o:${groupId}:want`)
        break
      }
      case GroupControl.Kind.SENDER_KEY:
        acceptKey(live, from, body)
        break
      case GroupControl.Kind.RECEIPT:
        applyReceipt(live, from, body)
        break
      case GroupControl.Kind.MESSAGE:
        if (live.state.members.has(from)) await receiveFrame(groupId, body.message, 'control')
        break
      default:
        break
    }
  }

  function checkAll (ops: Uint8Array[], groupId: Uint8Array): CheckedOp[] {
    const out: CheckedOp[] = []
    for (const signed of ops) {
      try {
        out.push(checkOp(signed, groupId))
      } catch (err) {
        log('dropped a group op: %s', (err as Error).message)
      }
    }
    return out
  }

  function missingParents (ops: Map<string, CheckedOp>): string[] {
    const missing = new Set<string>()
    for (const o of ops.values()) for (const p of o.parents) if (!ops.has(p)) missing.add(p)
    return [...missing]
  }

  /** An invitation (or its keys) for a group this node does not know yet. */
  function onUnknownGroup (from: string, groupId: string, body: GroupControl): void {
    const isContact = store.contacts.get(from) != null
    log('unknown group %s from %s: contact %s', groupId.slice(0, 12), from.slice(-6), isContact)
    let pending = pendingInvites.get(groupId)
    if (body.kind === GroupControl.Kind.SENDER_KEY) {
      // keys may overtake the invitation: kept for it, bounded
      let early = earlyKeys.get(groupId)
      if (early == null) {
        if (earlyKeys.size >= MAX_PENDING_GROUPS) earlyKeys.delete(earlyKeys.keys().next().value as string)
        early = []
        earlyKeys.set(groupId, early)
      }
      if (early.length < MAX_GROUP_MEMBERS) early.push({ from, body })
      return
    }
    if (body.kind !== GroupControl.Kind.OPS) return
    // ops may overtake the invitation too (they travel in separate payloads): kept, bounded; only a contact's invitation (with the secret) opens the group
    if (pending == null) {
      if (groups.size >= maxGroups) {
        log('invitation to %s dropped: this node is in %d groups, its limit', groupId, groups.size)
        return
      }
      if (pendingInvites.size >= MAX_PENDING_GROUPS) {
        const oldest = [...pendingInvites.entries()].sort((a, b) => a[1].at - b[1].at)[0]
        if (oldest != null) pendingInvites.delete(oldest[0])
      }
      pending = { from, ops: new Map(), at: clock.now() }
      pendingInvites.set(groupId, pending)
    }
    if (isContact && body.secret.byteLength === 32 && pending.secret == null) {
      pending.secret = body.secret
      pending.from = from
    }
    const idBytes = groupIdBytes(groupId)
    for (const c of checkAll(body.ops, idBytes)) {
      if (pending.ops.size >= MAX_PENDING_OPS) break
      pending.ops.set(c.hash, c)
    }
    const state = resolveState(pending.ops)
    log('invitation to %s: %d ops, %d waiting, member: %s', groupId.slice(0, 12), pending.ops.size, state?.waiting.length, state?.members.has(me))
    const secret = pending.secret
    if (secret == null || state == null || state.waiting.length > 0 || !state.members.has(me)) return
    // complete, and we are a member: joined
    pendingInvites.delete(groupId)
    const live: Live = {
      id: groupId, idBytes, secret, topic: groupTopic(secret), ops: pending.ops, state, status: 'active', joinedAt: clock.now(),
      lastActivity: null, chains: new Map(), ownSentTo: new Set(), held: []
    }
    store.transaction(() => {
      store.groups.put({ id: groupId, secret: seal('group secret', groupId, secret), joinedAt: live.joinedAt, lastActivity: null, state: 'active' })
      for (const o of pending.ops.values()) store.groups.addOp(groupId, o.hash, o.signed)
    })
    groups.set(groupId, live)
    subscribe(live)
    // co-members now: whoever of them we refused as a stranger before joining is asked to send again (§4.4.1)
    for (const peer of state.members.keys()) if (peer !== me) control.known?.(peer)
    components.events.changed({ group: info(live), change: 'joined', by: pending.from })
    rotate(live)
    for (const k of earlyKeys.get(groupId) ?? []) acceptKey(live, k.from, k.body)
    earlyKeys.delete(groupId)
    dialMembers(live)
  }

  // ---- topics ----

  const validator = async (from: PeerId, msg: Message): Promise<TopicValidatorResult> => {
    try {
      if (msg.data.byteLength > MAX_FRAME_BYTES) return TopicValidatorResult.Reject
      const frame = GroupFrame.decode(msg.data)
      if (frame.keyId.byteLength !== 16 || frame.signature.byteLength !== 64) return TopicValidatorResult.Reject
      const peer = from.toString()
      const n = (frameCounts.get(peer) ?? 0) + 1
      frameCounts.set(peer, n)
      if (frameCounts.size > 10_000) frameCounts = new Map()
      return n > FRAMES_PER_PEER_PER_MINUTE ? TopicValidatorResult.Ignore : TopicValidatorResult.Accept
    } catch {
      return TopicValidatorResult.Reject
    }
  }

  const topicToGroup = new Map<string, string>()
  const onMessage = guard(log, 'group frame', async (evt: CustomEvent<Message>): Promise<void> => {
    const groupId = topicToGroup.get(evt.detail.topic)
    if (groupId == null) return
    await receiveFrame(groupId, evt.detail.data, 'topic')
  })

  function subscribe (live: Live): void {
    if (!running || live.status !== 'active') return
    topicToGroup.set(live.topic, live.id)
    pubsub.topicValidators.set(live.topic, validator)
    pubsub.subscribe(live.topic)
  }

  function unsubscribe (live: Live): void {
    topicToGroup.delete(live.topic)
    try {
      pubsub.unsubscribe(live.topic)
      pubsub.topicValidators.delete(live.topic)
    } catch (err) {
      log('unsubscribe: %s', (err as Error).message)
    }
  }

  /** Dials a few members we have no connection to, so the topic's mesh forms (the DHT finds their addresses). */
  function dialMembers (live: Live): void {
    if (!running || live.status !== 'active') return
    const connected = new Set(libp2p.getConnections().map(c => c.remotePeer.toString()))
    const others = [...live.state.members.keys()].filter(p => p !== me && !connected.has(p))
    for (const peer of others.slice(0, 6)) {
      void libp2p.dial(peerIdFromString(peer), { signal: AbortSignal.timeout(10_000) }).catch(err => { log('dial %s: %s', peer, (err as Error).message) })
    }
  }

  const housekeeping = repeatingTask(guard(log, 'group housekeeping', () => {
    frameCounts = new Map()
    catchUp()
    const now = clock.now()
    for (const [id, p] of pendingInvites) if (now - p.at > 10 * 60_000) pendingInvites.delete(id)
    for (const live of groups.values()) {
      live.held = live.held.filter(h => now - h.at < 10 * 60_000)
    }
  }), Math.max(200, Math.min(catchUpAfterMs, 1_000)))

  // ---- the API ----

  async function send (group: string, text: string): Promise<{ message: GroupMessage }> {
    const live = active(group)
    if (typeof text !== 'string' || text.length === 0) throw new InvalidArgumentError('a group message needs text')
    if (Buffer.byteLength(text) > MAX_GROUP_TEXT_BYTES) throw new MessageTooLargeError(`a group message holds at most ${MAX_GROUP_TEXT_BYTES} bytes`)
    maybeRotate(live)
    const own = live.own as Chain
    const id = random(16)
    const seq = store.groups.lastSeq(live.id, me) + 1
    const now = clock.now()
    const step = chainStep({ chainKey: own.chainKey, iteration: own.iteration })
    const frame = sealFrame({
      groupId: live.idBytes, keyId: unhex(own.keyId), iteration: own.iteration, messageKey: step.messageKey, signingSeed: own.signingSeed as Uint8Array,
      plaintext: { groupId: live.idBytes, id, seq: BigInt(seq), sentAt: BigInt(now), text }
    })
    const bytes = GroupFrame.encode(frame)
    const recipients = [...live.state.members.keys()].filter(p => p !== me)
    const row: GroupMessageRow = { id: hex(id), groupId: live.id, sender: me, direction: 'out', text, sentAt: now, receivedAt: now, seq, read: true, recipients }
    store.transaction(() => {
      own.chainKey = step.next.chainKey
      own.iteration = step.next.iteration
      own.sent++
      persistChain(live, own)
      store.groups.insertMessage(row, recipients.length > 0 ? bytes : undefined)
      store.groups.touch(live.id, now)
    })
    live.lastActivity = now
    await pubsub.publish(live.topic, bytes).catch(err => { log('publish to %s: %s (catch-up follows)', live.id, (err as Error).message) })
    return { message: toMessage(row) }
  }

  return {
    start () {
      if (running) return
      running = true
      loadAll()
      control.handle(ControlKind.GROUP, async (from, body) => { await onControl(from, body) })
      // a co-member that refused what we sent as a stranger's and knows us now (§4.4.1): our current chain
      // again (a refused mailbox copy is gone from our queue); its ops follow by anti-entropy (heads)
      control.onResend?.(guard(log, 'group resend', (peer: string) => {
        if (!running) return
        for (const live of groups.values()) {
          if (live.status === 'active' && live.state.members.has(peer)) sendOwnKey(live, peer)
        }
      }))
      pubsub.addEventListener('message', onMessage)
      libp2p.addEventListener?.('peer:connect', onPeerConnect)
      for (const live of groups.values()) {
        subscribe(live)
        if (live.status === 'active' && live.own == null) rotate(live)
        dialMembers(live)
      }
      housekeeping.start()
    },

    async stop () {
      if (!running) return
      running = false
      housekeeping.stop()
      flushReceipts()
      pubsub.removeEventListener('message', onMessage)
      libp2p.removeEventListener?.('peer:connect', onPeerConnect)
      for (const live of groups.values()) unsubscribe(live)
      groups.clear()
    },

    isCoMember (peer) {
      // members who just left or were removed too: their ops may be concurrent with the change that removed
      // them, and every member must receive them to converge (§13.3); what else they send is dropped
      for (const live of groups.values()) if (live.status === 'active' && (live.state.members.has(peer) || live.state.gone.has(peer))) return true
      return false
    },

    setReadReceipts (on) { readReceipts = on },

    topicOf: (group) => find(group).topic,

    chainsOf: (group) => [...find(group).chains.values()].map(c => ({ keyId: c.keyId, owner: c.owner, chainKey: new Uint8Array(c.chainKey), iteration: c.iteration })),

    async promote (group, member) {
      const live = active(group)
      if (live.state.members.get(me)?.role !== 'admin') throw new NotGroupAdminError(`only an admin of ${live.state.name} can promote members`)
      const peer = [...live.state.members.values()].find(m => m.peerId === member || m.name === member)?.peerId
      if (peer == null) throw new NotGroupMemberError(`"${member}" is not a member of ${live.state.name}`)
      author(live, GroupOp.Kind.PROMOTE, peer, '')
      return info(live)
    },

    receiveFrame: async (groupId, bytes, via) => receiveFrame(groupId, bytes, via),

    pendingCounts: (group) => ({
      invitations: pendingInvites.size,
      earlyKeys: { groups: earlyKeys.size, keys: [...earlyKeys.values()].reduce((n, k) => n + k.length, 0) },
      held: group != null ? find(group).held.length : 0
    }),

    signingSeedOf: (group) => new Uint8Array(find(group).own?.signingSeed ?? new Uint8Array()),

    async create (name, members = []) {
      checkName(name)
      if (groups.size >= maxGroups) throw new GroupFullError(`this node is in ${groups.size} groups, its limit`)
      const peers = [...new Set(members.map(resolveContact))].filter(p => p !== me)
      if (peers.length + 1 > MAX_GROUP_MEMBERS) throw new GroupFullError(`a group holds at most ${MAX_GROUP_MEMBERS} members`)
      const idBytes = random(32)
      const id = groupIdString(idBytes)
      const secret = random(32)
      const create = checkOp(signOp(key, { groupId: idBytes, parents: [], author: self.bytes, at: BigInt(clock.now()), kind: GroupOp.Kind.CREATE, target: self.bytes, name }), idBytes)
      const ops = new Map([[create.hash, create]])
      const live: Live = {
        id, idBytes, secret, topic: groupTopic(secret), ops, state: resolveState(ops) as GroupState, status: 'active', joinedAt: clock.now(),
        lastActivity: clock.now(), chains: new Map(), ownSentTo: new Set(), held: []
      }
      store.transaction(() => {
        store.groups.put({ id, secret: seal('group secret', id, secret), joinedAt: live.joinedAt, lastActivity: live.lastActivity, state: 'active' })
        store.groups.addOp(id, create.hash, create.signed)
      })
      groups.set(id, live)
      subscribe(live)
      rotate(live)
      components.events.changed({ group: info(live), change: 'created' })
      for (const peer of peers) author(live, GroupOp.Kind.ADD, peer, store.contacts.get(peer)?.name ?? '')
      return info(live)
    },

    async add (group, member) {
      const live = active(group)
      if (live.state.members.get(me)?.role !== 'admin') throw new NotGroupAdminError(`only an admin of ${live.state.name} can add members`)
      const peer = resolveContact(member)
      if (live.state.members.has(peer)) return info(live)
      if (live.state.members.size >= MAX_GROUP_MEMBERS) throw new GroupFullError(`a group holds at most ${MAX_GROUP_MEMBERS} members`)
      author(live, GroupOp.Kind.ADD, peer, store.contacts.get(peer)?.name ?? '')
      return info(live)
    },

    async remove (group, member) {
      const live = active(group)
      if (live.state.members.get(me)?.role !== 'admin') throw new NotGroupAdminError(`only an admin of ${live.state.name} can remove members`)
      const peer = [...live.state.members.values()].find(m => m.peerId === member || m.name === member)?.peerId ??
        (() => { try { return resolveContact(member) } catch { return undefined } })()
      if (peer == null || !live.state.members.has(peer)) throw new NotGroupMemberError(`"${member}" is not a member of ${live.state.name}`)
      if (peer === me) {
        author(live, GroupOp.Kind.LEAVE, me, '')
        return info(live)
      }
      author(live, GroupOp.Kind.REMOVE, peer, '')
      return info(live)
    },

    async leave (group) {
      const live = active(group)
      author(live, GroupOp.Kind.LEAVE, me, '')
    },

    async rename (group, name) {
      checkName(name)
      const live = active(group)
      if (live.state.members.get(me)?.role !== 'admin') throw new NotGroupAdminError(`only an admin of ${live.state.name} can rename it`)
      author(live, GroupOp.Kind.RENAME, '', name)
      return info(live)
    },

    list () {
      return [...groups.values()].map(info).sort((a, b) => (b.lastActivity ?? b.createdAt) - (a.lastActivity ?? a.createdAt))
    },

    get: (group) => info(find(group)),

    send: async (group, text) => send(group, text),

    history (group, options = {}) {
      const live = find(group)
      const limit = Math.min(1000, Math.max(1, Math.floor(options.limit ?? 50)))
      return store.groups.history(live.id, { limit, before: options.before }).map(toMessage)
    },

    markRead (group, upTo) {
      const live = find(group)
      const ids = store.groups.markRead(live.id, upTo)
      if (readReceipts && live.status === 'active') {
        for (const id of ids) {
          const m = store.groups.message(id)
          if (m != null && live.state.members.has(m.sender)) queueReceipt(m.sender, live.id, id, true)
        }
      }
      return ids.length
    }
  }
}

function checkName (name: string): void {
  if (typeof name !== 'string' || name.trim().length === 0) throw new InvalidArgumentError('a group needs a name')
  if (Buffer.byteLength(name) > MAX_GROUP_NAME_BYTES) throw new InvalidArgumentError(`a group name holds at most ${MAX_GROUP_NAME_BYTES} bytes`)
}
