/**
 * The tables of group conversations (issue 16, PROTOCOL.md §12): the groups
 * this node is or was in (with the group secret, sealed), their membership
 * ops, the sender chains (own and others', secrets sealed by the caller),
 * skipped message keys, messages and receipts. Secrets arrive here already
 * sealed under the store's data key (src/keys/data-key.ts); this part only
 * keeps bytes. Every table a peer can grow is bounded by the caller
 * (src/groups/constants.ts) and here by hard limits.
 *
 * @module
 */
import type { Db } from './database.js'

/** A group row. */
export interface GroupRow {
  id: string
  /** Sealed group secret. */
  secret: Uint8Array
  joinedAt: number
  lastActivity: number | null
  /** 'active' | 'left' | 'removed' */
  state: string
}

/** A sender chain row (secrets sealed). */
export interface ChainRow {
  groupId: string
  keyId: string
  owner: string
  /** Sealed chain key of the next step. */
  chainKey: Uint8Array
  iteration: number
  signingKey: Uint8Array
  /** Sealed signing seed (own chains only). */
  signingSeed: Uint8Array | null
  createdAt: number
  /** Messages sent on it (own chains). */
  sent: number
}

/** A group message row. */
export interface GroupMessageRow {
  id: string
  groupId: string
  sender: string
  direction: 'in' | 'out'
  text: string
  sentAt: number
  receivedAt: number
  seq: number
  read: boolean
  /** Outgoing: the members it was for. */
  recipients: string[] | null
}

/** The group tables. */
export interface GroupStore {
  list(): GroupRow[]
  get(id: string): GroupRow | undefined
  put(row: GroupRow): void
  setState(id: string, state: string): void
  touch(id: string, at: number): void
  count(): number
  ops(groupId: string): Array<{ hash: string, op: Uint8Array }>
  hasOp(groupId: string, hash: string): boolean
  addOp(groupId: string, hash: string, op: Uint8Array): void
  opCount(groupId: string): number
  chains(groupId: string): ChainRow[]
  putChain(row: ChainRow): void
  deleteChain(groupId: string, keyId: string): void
  getSkipped(groupId: string, keyId: string, iteration: number): Uint8Array | undefined
  putSkipped(groupId: string, keyId: string, iteration: number, key: Uint8Array, max: number): void
  deleteSkipped(groupId: string, keyId: string, iteration?: number): void
  /** How many skipped message keys a chain holds. */
  skippedCount(groupId: string, keyId: string): number
  insertMessage(row: GroupMessageRow, frame?: Uint8Array): boolean
  hasMessage(id: string): boolean
  message(id: string): GroupMessageRow | undefined
  /** Oldest first; `before` a message id. */
  history(groupId: string, options: { limit: number, before?: string }): GroupMessageRow[]
  lastSeq(groupId: string, sender: string): number
  unread(groupId: string): number
  markRead(groupId: string, upTo?: string): string[]
  frame(id: string): Uint8Array | undefined
  dropFrame(id: string): void
  /** Outgoing messages that still keep a frame (not acknowledged by every recipient). */
  pendingFrames(groupId?: string): Array<{ id: string, groupId: string, recipients: string[], receivedAt: number }>
  addReceipt(messageId: string, peer: string, state: 'delivered' | 'read', at: number): boolean
  receipts(messageId: string): Array<{ peer: string, state: 'delivered' | 'read' }>
}

/** The group tables' schema (migration 3). */
export const GROUP_SCHEMA = `
CREATE TABLE groups (
  id TEXT PRIMARY KEY NOT NULL,
  secret BLOB NOT NULL,
  joined_at INTEGER NOT NULL,
  last_activity INTEGER,
  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'left', 'removed'))
) STRICT;

CREATE TABLE group_ops (
  group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  hash TEXT NOT NULL,
  op BLOB NOT NULL,
  PRIMARY KEY (group_id, hash)
) STRICT;

CREATE TABLE group_chains (
  group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  key_id TEXT NOT NULL,
  owner TEXT NOT NULL,
  chain_key BLOB NOT NULL,
  iteration INTEGER NOT NULL,
  signing_key BLOB NOT NULL,
  signing_seed BLOB,
  created_at INTEGER NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (group_id, key_id)
) STRICT;

CREATE TABLE group_skipped (
  group_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  iteration INTEGER NOT NULL,
  message_key BLOB NOT NULL,
  PRIMARY KEY (group_id, key_id, iteration)
) STRICT;

CREATE TABLE group_messages (
  id TEXT PRIMARY KEY NOT NULL,
  group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  sender TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  text TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  read INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1)),
  recipients TEXT,
  frame BLOB
) STRICT;
CREATE INDEX group_messages_by_group ON group_messages (group_id);
CREATE UNIQUE INDEX group_messages_by_sender_seq ON group_messages (group_id, sender, seq);
CREATE INDEX group_messages_with_frame ON group_messages (group_id) WHERE frame IS NOT NULL;

CREATE TABLE group_receipts (
  message_id TEXT NOT NULL REFERENCES group_messages (id) ON DELETE CASCADE,
  peer TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('delivered', 'read')),
  at INTEGER NOT NULL,
  PRIMARY KEY (message_id, peer, state)
) STRICT;
`

interface MessageSql {
  id: string
  group_id: string
  sender: string
  direction: 'in' | 'out'
  text: string
  sent_at: number
  received_at: number
  seq: number
  read: number
  recipients: string | null
  rid: number
}

const toMessage = (r: MessageSql): GroupMessageRow => ({
  id: r.id,
  groupId: r.group_id,
  sender: r.sender,
  direction: r.direction,
  text: r.text,
  sentAt: r.sent_at,
  receivedAt: r.received_at,
  seq: r.seq,
  read: r.read === 1,
  recipients: r.recipients == null ? null : JSON.parse(r.recipients) as string[]
})

/** Creates the part over an open, migrated database. */
export function groupStore ({ db }: { db: Db }): GroupStore {
  const cols = 'rowid AS rid, id, group_id, sender, direction, text, sent_at, received_at, seq, read, recipients'
  const q = {
    list: db.prepare<[], { id: string, secret: Uint8Array, joined_at: number, last_activity: number | null, state: string }>('SELECT * FROM groups'),
    get: db.prepare<[string], { id: string, secret: Uint8Array, joined_at: number, last_activity: number | null, state: string }>('SELECT * FROM groups WHERE id = ?'),
    put: db.prepare('INSERT INTO groups (id, secret, joined_at, last_activity, state) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, state = excluded.state'),
    setState: db.prepare('UPDATE groups SET state = ? WHERE id = ?'),
    touch: db.prepare('UPDATE groups SET last_activity = MAX(COALESCE(last_activity, 0), ?) WHERE id = ?'),
    count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM groups'),
    ops: db.prepare<[string], { hash: string, op: Uint8Array }>('SELECT hash, op FROM group_ops WHERE group_id = ?'),
    hasOp: db.prepare<[string, string], { x: number }>('SELECT 1 AS x FROM group_ops WHERE group_id = ? AND hash = ?'),
    addOp: db.prepare('INSERT OR IGNORE INTO group_ops (group_id, hash, op) VALUES (?, ?, ?)'),
    opCount: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM group_ops WHERE group_id = ?'),
    chains: db.prepare<[string], { group_id: string, key_id: string, owner: string, chain_key: Uint8Array, iteration: number, signing_key: Uint8Array, signing_seed: Uint8Array | null, created_at: number, sent: number }>('SELECT * FROM group_chains WHERE group_id = ?'),
    putChain: db.prepare('INSERT INTO group_chains (group_id, key_id, owner, chain_key, iteration, signing_key, signing_seed, created_at, sent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, key_id) DO UPDATE SET chain_key = excluded.chain_key, iteration = excluded.iteration, sent = excluded.sent'),
    deleteChain: db.prepare('DELETE FROM group_chains WHERE group_id = ? AND key_id = ?'),
    getSkipped: db.prepare<[string, string, number], { message_key: Uint8Array }>('SELECT message_key FROM group_skipped WHERE group_id = ? AND key_id = ? AND iteration = ?'),
    putSkipped: db.prepare('INSERT OR REPLACE INTO group_skipped (group_id, key_id, iteration, message_key) VALUES (?, ?, ?, ?)'),
    countSkipped: db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM group_skipped WHERE group_id = ? AND key_id = ?'),
    dropOldestSkipped: db.prepare('DELETE FROM group_skipped WHERE rowid IN (SELECT rowid FROM group_skipped WHERE group_id = ? AND key_id = ? ORDER BY iteration LIMIT ?)'),
    deleteSkipped: db.prepare('DELETE FROM group_skipped WHERE group_id = ? AND key_id = ? AND iteration = ?'),
    deleteSkippedChain: db.prepare('DELETE FROM group_skipped WHERE group_id = ? AND key_id = ?'),
    insertMessage: db.prepare('INSERT OR IGNORE INTO group_messages (id, group_id, sender, direction, text, sent_at, received_at, seq, read, recipients, frame) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    hasMessage: db.prepare<[string], { x: number }>('SELECT 1 AS x FROM group_messages WHERE id = ?'),
    message: db.prepare<[string], MessageSql>(`SELECT ${cols} FROM group_messages WHERE id = ?`),
    rowidOf: db.prepare<[string, string], { rid: number }>('SELECT rowid AS rid FROM group_messages WHERE id = ? AND group_id = ?'),
    historyBefore: db.prepare<[string, number, number], MessageSql>(`SELECT ${cols} FROM group_messages WHERE group_id = ? AND rowid < ? ORDER BY rowid DESC LIMIT ?`),
    historyLast: db.prepare<[string, number], MessageSql>(`SELECT ${cols} FROM group_messages WHERE group_id = ? ORDER BY rowid DESC LIMIT ?`),
    lastSeq: db.prepare<[string, string], { s: number | null }>('SELECT MAX(seq) AS s FROM group_messages WHERE group_id = ? AND sender = ?'),
    unread: db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM group_messages WHERE group_id = ? AND direction = 'in' AND read = 0"),
    unreadIds: db.prepare<[string, number], { id: string }>("SELECT id FROM group_messages WHERE group_id = ? AND direction = 'in' AND read = 0 AND rowid <= ?"),
    setRead: db.prepare('UPDATE group_messages SET read = 1 WHERE id = ?'),
    frame: db.prepare<[string], { frame: Uint8Array | null }>('SELECT frame FROM group_messages WHERE id = ?'),
    dropFrame: db.prepare('UPDATE group_messages SET frame = NULL WHERE id = ?'),
    pendingAll: db.prepare<[], { id: string, group_id: string, recipients: string | null, received_at: number }>('SELECT id, group_id, recipients, received_at FROM group_messages WHERE frame IS NOT NULL'),
    pendingOf: db.prepare<[string], { id: string, group_id: string, recipients: string | null, received_at: number }>('SELECT id, group_id, recipients, received_at FROM group_messages WHERE group_id = ? AND frame IS NOT NULL'),
    addReceipt: db.prepare('INSERT OR IGNORE INTO group_receipts (message_id, peer, state, at) VALUES (?, ?, ?, ?)'),
    receipts: db.prepare<[string], { peer: string, state: 'delivered' | 'read' }>('SELECT peer, state FROM group_receipts WHERE message_id = ?')
  }
  const toGroup = (r: { id: string, secret: Uint8Array, joined_at: number, last_activity: number | null, state: string }): GroupRow =>
    ({ id: r.id, secret: r.secret, joinedAt: r.joined_at, lastActivity: r.last_activity, state: r.state })
  return {
    list: () => q.list.all().map(toGroup),
    get: (id) => { const r = q.get.get(id); return r == null ? undefined : toGroup(r) },
    put: (row) => { q.put.run(row.id, row.secret, row.joinedAt, row.lastActivity, row.state) },
    setState: (id, state) => { q.setState.run(state, id) },
    touch: (id, at) => { q.touch.run(at, id) },
    count: () => q.count.get()?.n ?? 0,
    ops: (groupId) => q.ops.all(groupId),
    hasOp: (groupId, hash) => q.hasOp.get(groupId, hash) != null,
    addOp: (groupId, hash, op) => { q.addOp.run(groupId, hash, op) },
    opCount: (groupId) => q.opCount.get(groupId)?.n ?? 0,
    chains: (groupId) => q.chains.all(groupId).map(r => ({
      groupId: r.group_id, keyId: r.key_id, owner: r.owner, chainKey: r.chain_key, iteration: r.iteration, signingKey: r.signing_key, signingSeed: r.signing_seed, createdAt: r.created_at, sent: r.sent
    })),
    putChain: (r) => { q.putChain.run(r.groupId, r.keyId, r.owner, r.chainKey, r.iteration, r.signingKey, r.signingSeed, r.createdAt, r.sent) },
    deleteChain: (groupId, keyId) => { q.deleteChain.run(groupId, keyId); q.deleteSkippedChain.run(groupId, keyId) },
    getSkipped: (groupId, keyId, iteration) => q.getSkipped.get(groupId, keyId, iteration)?.message_key,
    putSkipped: (groupId, keyId, iteration, key, max) => {
      q.putSkipped.run(groupId, keyId, iteration, key)
      const n = q.countSkipped.get(groupId, keyId)?.n ?? 0
      if (n > max) q.dropOldestSkipped.run(groupId, keyId, n - max)
    },
    skippedCount: (groupId, keyId) => q.countSkipped.get(groupId, keyId)?.n ?? 0,
    deleteSkipped: (groupId, keyId, iteration) => {
      if (iteration == null) q.deleteSkippedChain.run(groupId, keyId)
      else q.deleteSkipped.run(groupId, keyId, iteration)
    },
    insertMessage: (r, frame) => q.insertMessage.run(r.id, r.groupId, r.sender, r.direction, r.text, r.sentAt, r.receivedAt, r.seq, r.read ? 1 : 0,
      r.recipients == null ? null : JSON.stringify(r.recipients), frame ?? null).changes === 1,
    hasMessage: (id) => q.hasMessage.get(id) != null,
    message: (id) => { const r = q.message.get(id); return r == null ? undefined : toMessage(r) },
    history: (groupId, { limit, before }) => {
      let rows: MessageSql[]
      if (before != null) {
        const at = q.rowidOf.get(before, groupId)
        rows = at == null ? [] : q.historyBefore.all(groupId, at.rid, limit)
      } else {
        rows = q.historyLast.all(groupId, limit)
      }
      return rows.reverse().map(toMessage)
    },
    lastSeq: (groupId, sender) => q.lastSeq.get(groupId, sender)?.s ?? 0,
    unread: (groupId) => q.unread.get(groupId)?.n ?? 0,
    markRead: (groupId, upTo) => {
      const limit = upTo == null ? Number.MAX_SAFE_INTEGER : (q.rowidOf.get(upTo, groupId)?.rid ?? -1)
      const ids = q.unreadIds.all(groupId, limit).map(r => r.id)
      for (const id of ids) q.setRead.run(id)
      return ids
    },
    frame: (id) => q.frame.get(id)?.frame ?? undefined,
    dropFrame: (id) => { q.dropFrame.run(id) },
    pendingFrames: (groupId) => (groupId == null ? q.pendingAll.all() : q.pendingOf.all(groupId))
      .map(r => ({ id: r.id, groupId: r.group_id, recipients: r.recipients == null ? [] : JSON.parse(r.recipients) as string[], receivedAt: r.received_at })),
    addReceipt: (messageId, peer, state, at) => q.addReceipt.run(messageId, peer, state, at).changes === 1,
    receipts: (messageId) => q.receipts.all(messageId)
  }
}
