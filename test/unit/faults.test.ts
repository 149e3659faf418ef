/**
 * Logic of issue 9's transient-fault and flood defences, with a real SQLite
 * file: ids of gone messages, the persisted stamp record and its bound, the
 * mailbox's per-depositor quotas and paging, the requests inbox caps, the
 * read-only monitor, and the sender's reading of retry hints.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { REQUEST_MAX_BYTES_PER_PEER, REQUEST_MAX_MESSAGES_TOTAL, STRANGER_UNSTAMPED_ALLOWANCE, requestsInboxVerdict, resolveRequestLimits, strangerNeedsStamp } from '../../src/messaging/inbound-limits.js'
import { MAX_HONOURED_RETRY_AFTER_MS, UNAVAILABLE_MAX_BACKOFF_MS, nextRetryDelay, retryDelayAfterRefusal } from '../../src/messaging/transient.js'
import { DeliveryRefusedError } from '../../src/errors.js'
import { DmResponse } from '../../src/pb/dm.js'
import { createStorageHealth } from '../../src/store/health.js'
import { StoreError, isStorageFault, isTransientStoreError, openStore } from '../../src/store/index.js'
import { openDatabase } from '../../src/store/database.js'
import { runMigrations } from '../../src/store/migrations.js'
import { stampReplayStore } from '../../src/store/stamp-replay.js'
import type { Store } from '../../src/store/index.js'

const hexId = (n: number): string => n.toString(16).padStart(32, '0')
const DAY = 24 * 60 * 60 * 1000

describe('store parts for transient faults and floods', () => {
  let alice: string
  let bob: string
  let mallory: string
  let dir: string
  let clock: number
  const open: Store[] = []
  const openAt = (): Store => {
    const store = openStore({ path: join(dir, 'natter.db'), now: () => clock })
    open.push(store)
    return store
  }

  beforeAll(async () => {
    ;[alice, bob, mallory] = await Promise.all([1, 2, 3].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())) as [string, string, string]
  })
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'natter-faults-'))
    clock = 1_700_000_000_000
  })
  afterEach(() => {
    for (const s of open.splice(0)) s.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const incoming = (peer: string, n: number, sentAt = clock): Parameters<Store['messages']['insertIncoming']>[0] =>
    ({ id: hexId(n), peer, text: `m${n}`, sentAt, seq: n, receivedAt: clock })

  it('declining a request leaves the ids behind, for the envelope age window, across a reopen', () => {
    const store = openAt()
    store.messages.insertIncoming(incoming(mallory, 1))
    store.messages.insertIncoming(incoming(mallory, 2))
    expect(store.goneMessages.has(mallory, hexId(1))).toBe(false)
    expect(store.requests.decline(mallory)).toBe(2)
    expect(store.goneMessages.has(mallory, hexId(1))).toBe(true)
    expect(store.goneMessages.has(mallory, hexId(2))).toBe(true)
    expect(store.goneMessages.has(alice, hexId(1)), 'keyed by sender too').toBe(false)
    store.close()
    const again = openAt()
    expect(again.goneMessages.has(mallory, hexId(2))).toBe(true)
    // lapses once the envelope could no longer pass §4.1 (sent_at + 30 days + 5 min)
    expect(again.goneMessages.has(mallory, hexId(2), clock + 30 * DAY + 4 * 60_000)).toBe(true)
    expect(again.goneMessages.has(mallory, hexId(2), clock + 30 * DAY + 5 * 60_000)).toBe(false)
    expect(again.goneMessages.prune(clock + 31 * DAY)).toBe(2)
    expect(again.goneMessages.count()).toBe(0)
  })

  it('the gone-id table is bounded: past the cap the records closest to lapsing go first', () => {
    const store = openAt()
    for (let i = 1; i <= 10; i++) {
      store.messages.insertIncoming(incoming(mallory, i, clock + i))
    }
    store.requests.decline(mallory)
    expect(store.goneMessages.prune(clock, 4)).toBe(6)
    expect(store.goneMessages.count()).toBe(4)
    expect(store.goneMessages.has(mallory, hexId(10))).toBe(true)
    expect(store.goneMessages.has(mallory, hexId(6))).toBe(false)
  })

  it('the stamp record refuses a digest until it lapses, survives a reopen, and stays within its bound', () => {
    const store = openAt()
    const digest = new Uint8Array(32).fill(1)
    expect(store.stampReplay.add(digest, clock + 1000)).toBe(true)
    expect(store.stampReplay.add(digest, clock + 1000)).toBe(false)
    store.close()
    const again = openAt()
    expect(again.stampReplay.add(digest, clock + 1000)).toBe(false)
    expect(again.stampReplay.has(digest, clock + 1001)).toBe(false)
    expect(again.stampReplay.add(digest, clock + 5000, clock + 1001), 'lapsed: may be used again').toBe(true)
    expect(again.stampReplay.prune(clock + 6000)).toBe(1)
    expect(again.stampReplay.count()).toBe(0)
  })

  it('the stamp record is bounded: when full, the digest closest to lapsing makes room (or the newcomer is dropped if it is that one)', () => {
    const db = openDatabase({ path: join(dir, 'bound.db'), busyTimeout: 100, integrityCheck: false, durability: 'normal' })
    try {
      runMigrations(db)
      const record = stampReplayStore({ db, now: () => clock }, 3)
      const d = (n: number): Uint8Array => new Uint8Array(32).fill(n)
      for (let i = 1; i <= 3; i++) {
        expect(record.add(d(i), clock + i * 1000)).toBe(true)
      }
      expect(record.add(d(9), clock + 500), 'closer to lapsing than every held one: not kept').toBe(true)
      expect(record.has(d(9))).toBe(false)
      expect(record.add(d(4), clock + 4000)).toBe(true)
      expect(record.count()).toBe(3)
      expect(record.has(d(1)), 'the one closest to lapsing went').toBe(false)
      expect(record.has(d(4))).toBe(true)
      expect(record.add(d(4), clock + 4000)).toBe(false)
    } finally {
      db.close()
    }
  })

  it('mailbox: a depositor cannot fill one recipient\'s share or more than its bytes; pages continue after an acknowledged envelope', () => {
    const store = openStore({ path: join(dir, 'natter.db'), now: () => clock, mailbox: { maxEnvelopesPerDepositorRecipient: 3, maxBytesPerDepositor: 100 } })
    open.push(store)
    const env = (n: number): Uint8Array => new Uint8Array(10).fill(n)
    for (let i = 1; i <= 3; i++) {
      store.mailbox.deposit({ recipient: bob, depositor: mallory, id: hexId(i), envelope: env(i), expiresAt: clock + DAY })
    }
    expect(() => store.mailbox.deposit({ recipient: bob, depositor: mallory, id: hexId(4), envelope: env(4), expiresAt: clock + DAY }))
      .toThrow(expect.objectContaining({ name: 'MailboxQuotaExceededError', quota: 'depositorRecipientEnvelopes' }))
    store.mailbox.deposit({ recipient: alice, depositor: mallory, id: hexId(5), envelope: new Uint8Array(70), expiresAt: clock + DAY })
    expect(() => store.mailbox.deposit({ recipient: alice, depositor: mallory, id: hexId(6), envelope: env(6), expiresAt: clock + DAY }))
      .toThrow(expect.objectContaining({ name: 'MailboxQuotaExceededError', quota: 'depositorBytes' }))

    const page = store.mailbox.fetchFor(bob, { limit: 2 })
    expect(page.map(e => e.id)).toEqual([hexId(1), hexId(2)])
    const position = page[1]!.position
    expect(store.mailbox.positionOf(bob, hexId(2))).toBe(position)
    store.mailbox.ack(bob, [hexId(1), hexId(2)])
    // the position stays good after its envelope is gone
    expect(store.mailbox.fetchFor(bob, { after: position }).map(e => e.id)).toEqual([hexId(3)])
    expect(() => store.mailbox.fetchFor(bob, { after: 'nonsense' })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
  })

  it('requests usage counts the pending requests only, by text bytes', () => {
    const store = openAt()
    store.messages.insertIncoming({ ...incoming(mallory, 1), text: 'héllo' })
    store.messages.insertIncoming(incoming(alice, 2))
    store.requests.accept(alice)
    expect(store.requests.usage(mallory)).toEqual({ peerMessages: 1, peerBytes: 6, totalMessages: 1, totalBytes: 6 })
    expect(store.requests.usage(bob)).toEqual({ peerMessages: 0, peerBytes: 0, totalMessages: 1, totalBytes: 6 })
  })
})

describe('stranger rules', () => {
  const usage = (peerMessages: number, peerBytes = 0, totalMessages = peerMessages, totalBytes = peerBytes): Parameters<typeof strangerNeedsStamp>[0] =>
    ({ peerMessages, peerBytes, totalMessages, totalBytes })

  it('the first message and each one past the allowance need a stamp', () => {
    expect(strangerNeedsStamp(usage(0))).toBe(true)
    for (let n = 1; n <= STRANGER_UNSTAMPED_ALLOWANCE; n++) {
      expect(strangerNeedsStamp(usage(n))).toBe(false)
    }
    expect(strangerNeedsStamp(usage(STRANGER_UNSTAMPED_ALLOWANCE + 1))).toBe(true)
    expect(strangerNeedsStamp(usage(2), resolveRequestLimits({ unstampedAllowance: 1 }))).toBe(true)
  })

  it('one sender\'s share is refused for good, a full inbox is a passing state with a retry hint', () => {
    expect(requestsInboxVerdict({ usage: usage(1, 100) })).toBeUndefined()
    expect(requestsInboxVerdict({ usage: usage(1, REQUEST_MAX_BYTES_PER_PEER - 10), textBytes: 11 })).toMatchObject({ status: DmResponse.Status.REFUSED })
    expect(requestsInboxVerdict({ usage: usage(1, 10, REQUEST_MAX_MESSAGES_TOTAL, 10) })).toMatchObject({ status: DmResponse.Status.UNAVAILABLE, retryAfterMs: 60 * 60 * 1000 })
  })
})

describe('transient faults', () => {
  const fault = (code: string): StoreError => new StoreError(`store operation failed: ${code}`, { code })

  it('classifies store failures: the disk\'s and the lock\'s are never the data\'s', () => {
    expect(isStorageFault(fault('SQLITE_FULL'))).toBe(true)
    expect(isStorageFault(fault('SQLITE_IOERR_WRITE'))).toBe(true)
    expect(isStorageFault(fault('SQLITE_CONSTRAINT_UNIQUE'))).toBe(false)
    expect(isTransientStoreError(Object.assign(new Error('busy'), { name: 'StoreBusyError' }))).toBe(true)
    expect(isTransientStoreError(new Error('wrapped', { cause: fault('SQLITE_FULL') }))).toBe(true)
    expect(isTransientStoreError(Object.assign(new Error('bad'), { name: 'InvalidMessageError' }))).toBe(false)
  })

  it('the read-only monitor switches on a storage fault and back once a probe write succeeds', async () => {
    let diskFull = true
    const changes: string[] = []
    const health = createStorageHealth({
      probe: () => { if (diskFull) throw fault('SQLITE_FULL') },
      onChange: (s) => { changes.push(s.state) }
    }, { probeIntervalMs: 10 })
    try {
      health.report(Object.assign(new Error('busy'), { name: 'StoreBusyError' }))
      expect(health.status().state, 'a lock is not a full disk').toBe('ok')
      health.report(fault('SQLITE_FULL'))
      expect(health.status()).toMatchObject({ state: 'read-only', reason: expect.stringMatching(/SQLITE_FULL/) })
      expect(health.retryAfterMs()).toBe(10)
      await new Promise(resolve => setTimeout(resolve, 50))
      expect(health.status().state, 'still full').toBe('read-only')
      diskFull = false
      const deadline = Date.now() + 5000
      while (health.status().state !== 'ok' && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 10))
      }
      expect(health.status().state).toBe('ok')
      expect(health.retryAfterMs()).toBeUndefined()
      expect(changes).toEqual(['read-only', 'ok'])
    } finally {
      health.stop()
    }
  })

  it('a sender reads a refusal\'s retry hint, bounded', () => {
    expect(retryDelayAfterRefusal(Object.assign(new Error('x'), { retryAfterMs: 1500 }))).toBe(1500)
    expect(retryDelayAfterRefusal(new Error('no hint'))).toBeUndefined()
    expect(retryDelayAfterRefusal(Object.assign(new Error('x'), { retryAfterMs: 10 * 24 * 60 * 60 * 1000 }))).toBe(MAX_HONOURED_RETRY_AFTER_MS)
  })

  it('a message refused UNAVAILABLE is retried within 30 s however long it waited, never before the hint', () => {
    const late = 300_000
    expect(nextRetryDelay(late, new DeliveryRefusedError('busy', 'UNAVAILABLE', { retryAfterMs: 2000 }))).toBe(UNAVAILABLE_MAX_BACKOFF_MS)
    expect(nextRetryDelay(1000, new DeliveryRefusedError('busy', 'UNAVAILABLE', { retryAfterMs: 2000 }))).toBe(2000)
    expect(nextRetryDelay(late, new DeliveryRefusedError('full', 'UNAVAILABLE', { retryAfterMs: 3_600_000 }))).toBe(3_600_000)
    expect(nextRetryDelay(late, new DeliveryRefusedError('slow down', 'RATE_LIMITED'))).toBe(late)
    expect(nextRetryDelay(late, undefined)).toBe(late)
  })
})
