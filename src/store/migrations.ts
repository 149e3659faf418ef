/**
 * Versioned schema migrations. The schema version lives in SQLite's
 * `PRAGMA user_version`; each step runs in its own transaction together with
 * the version bump, so a failed step leaves the file at the previous version
 * and a reopen of an up-to-date file does nothing.
 *
 * Append new steps to {@link MIGRATIONS}; never edit a released one.
 *
 * @module
 */

import { MigrationError, StoreVersionError } from './errors.js'
import { migrateControlPending } from './control.js'
import type { Db } from './database.js'
import type { Logger } from '@libp2p/interface'

/** One schema step, taking the file from `version - 1` to `version`. */
export interface Migration {
  /** The schema version after this step; steps are numbered 1, 2, 3, … */
  readonly version: number
  /** What the step does, for logs and error messages. */
  readonly description: string
  /** Applies the step. Runs inside a transaction; must not change `user_version` itself. */
  up (db: Db): void
}

/** What {@link runMigrations} did. */
export interface MigrationResult {
  /** Schema version found in the file. */
  readonly from: number
  /** Schema version the file is at now. */
  readonly to: number
}

const INITIAL_SCHEMA = `
CREATE TABLE contacts (
  peer_id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL UNIQUE,
  added_at INTEGER NOT NULL,
  verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
  identity_key BLOB,
  pending_identity_key BLOB,
  addresses TEXT NOT NULL DEFAULT '[]'
) STRICT;

CREATE TABLE blocked_peers (
  peer_id TEXT PRIMARY KEY NOT NULL,
  blocked_at INTEGER NOT NULL
) STRICT;

CREATE TABLE conversations (
  peer TEXT PRIMARY KEY NOT NULL,
  accepted INTEGER NOT NULL CHECK (accepted IN (0, 1)),
  last_out_seq INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE messages (
  id TEXT NOT NULL UNIQUE,
  peer TEXT NOT NULL REFERENCES conversations (peer) ON DELETE CASCADE,
  direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
  text TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  received_at INTEGER,
  seq INTEGER NOT NULL CHECK (seq >= 1),
  state TEXT NOT NULL,
  state_at INTEGER NOT NULL,
  fail_reason TEXT,
  envelope BLOB,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  CHECK (
    (direction = 'out' AND state IN ('queued', 'sent', 'delivered', 'read', 'failed')) OR
    (direction = 'in' AND state IN ('received', 'read'))
  )
) STRICT;

CREATE INDEX messages_history ON messages (peer, sent_at, direction, seq, id);
CREATE INDEX messages_unread ON messages (peer, direction, state);
CREATE INDEX messages_outbox ON messages (next_attempt_at)
  WHERE direction = 'out' AND state IN ('queued', 'sent');

CREATE TABLE presence (
  peer_id TEXT PRIMARY KEY NOT NULL,
  status TEXT NOT NULL,
  note TEXT,
  seq INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX presence_expiry ON presence (expires_at);

CREATE TABLE mailbox (
  recipient TEXT NOT NULL,
  id TEXT NOT NULL,
  depositor TEXT NOT NULL,
  envelope BLOB NOT NULL,
  size INTEGER NOT NULL,
  deposited_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (recipient, id)
) STRICT;

CREATE INDEX mailbox_recipient ON mailbox (recipient, deposited_at);
CREATE INDEX mailbox_depositor ON mailbox (depositor);
CREATE INDEX mailbox_expiry ON mailbox (expires_at);

-- Running totals so the disk quota check does not scan the table.
CREATE TABLE mailbox_totals (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  envelopes INTEGER NOT NULL,
  bytes INTEGER NOT NULL
) STRICT;

INSERT INTO mailbox_totals (id, envelopes, bytes) VALUES (1, 0, 0);

CREATE TRIGGER mailbox_totals_insert AFTER INSERT ON mailbox BEGIN
  UPDATE mailbox_totals SET envelopes = envelopes + 1, bytes = bytes + NEW.size WHERE id = 1;
END;

CREATE TRIGGER mailbox_totals_delete AFTER DELETE ON mailbox BEGIN
  UPDATE mailbox_totals SET envelopes = envelopes - 1, bytes = bytes - OLD.size WHERE id = 1;
END;

CREATE TABLE settings (
  key TEXT PRIMARY KEY NOT NULL,
  json TEXT,
  bytes BLOB,
  updated_at INTEGER NOT NULL,
  CHECK ((json IS NULL) <> (bytes IS NULL))
) STRICT;

CREATE TABLE ratchet_sessions (
  peer TEXT PRIMARY KEY NOT NULL,
  state BLOB NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
`

/**
 * Schema 2 (issue 9, erratum 7 of issue 11): ids of incoming messages that are
 * gone (declined, deleted), so a duplicate is still recognised by
 * `(sender, id)` (PROTOCOL.md §4.3) until the envelope could no longer be
 * accepted anyway; and the digests of accepted proof-of-work stamps, so one
 * stamp buys one message across restarts (§8.5.1).
 */
const SCHEMA_2 = `
CREATE TABLE gone_messages (
  peer TEXT NOT NULL,
  id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (peer, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX gone_messages_expiry ON gone_messages (expires_at);

-- Every path that deletes a received message (declining a request today, any
-- other deletion tomorrow) leaves its id behind, for the envelope age window
-- of PROTOCOL.md §4.1 (30 days after sent_at) plus the 5-minute clock skew.
CREATE TRIGGER gone_messages_on_delete AFTER DELETE ON messages WHEN OLD.direction = 'in' BEGIN
  INSERT INTO gone_messages (peer, id, expires_at)
  VALUES (OLD.peer, OLD.id, OLD.sent_at + 2592000000 + 300000)
  ON CONFLICT (peer, id) DO NOTHING;
END;

CREATE TABLE stamp_replay (
  digest BLOB PRIMARY KEY NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX stamp_replay_expiry ON stamp_replay (expires_at);
`

/** The store's schema history, oldest first. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: 'initial schema',
    up (db: Db): void {
      db.exec(INITIAL_SCHEMA)
    }
  },
  {
    version: 2,
    description: 'ids of gone incoming messages, persisted stamp replay records',
    up (db: Db): void {
      db.exec(SCHEMA_2)
    }
  },
  {
    // presence v2 / control channel (issue 13): one row per pending slot, moved out of the settings value
    version: 3,
    description: 'control channel pending payloads in their own table (moved from settings control.outbox)',
    up (db: Db): void {
      migrateControlPending(db)
    }
  }
])

/** The schema version a fully migrated file is at. */
export const SCHEMA_VERSION = MIGRATIONS.length

/** Reads the file's schema version (`PRAGMA user_version`). */
export function schemaVersion (db: Db): number {
  return db.pragma('user_version', { simple: true }) as number
}

/**
 * Brings the file's schema up to the newest of `migrations`, one step per
 * transaction. Safe to call on every open: an up-to-date file is untouched.
 *
 * @throws {StoreVersionError} the file is newer than the newest known step
 * @throws {MigrationError} a step failed; the file stays at the version before it
 */
export function runMigrations (db: Db, migrations: readonly Migration[] = MIGRATIONS, log?: Logger): MigrationResult {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new MigrationError(`migration list is out of order: entry ${index} has version ${migration.version}`, { from: index, to: index + 1 })
    }
  })

  const from = schemaVersion(db)
  const latest = migrations.length
  if (from > latest) {
    throw new StoreVersionError(`store schema version ${from} is newer than this natter supports (${latest}); upgrade natter`, { found: from, supported: latest })
  }

  for (const migration of migrations.slice(from)) {
    const step = db.transaction(() => {
      migration.up(db)
      db.pragma(`user_version = ${migration.version}`)
    })
    try {
      step.immediate()
    } catch (err) {
      throw new MigrationError(`migration to schema version ${migration.version} (${migration.description}) failed: ${(err as Error).message}`, {
        from: migration.version - 1,
        to: migration.version,
        cause: err
      })
    }
    log?.('migrated store schema to version %d (%s)', migration.version, migration.description)
  }

  return { from, to: Math.max(from, latest) }
}
