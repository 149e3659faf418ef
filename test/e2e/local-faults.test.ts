/**
 * Issue 9, "Local faults": a lost store next to an existing identity is an
 * error naming the file (not a silent fresh start), unless `--new-store`; a
 * daemon.lock naming a live process that is not this home's daemon is stale.
 * Real daemons driven by the real CLI.
 */
import { readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { harness } from './helpers.js'

describe('local faults', () => {
  const h = harness()
  afterEach(async () => { await h.cleanup() })

  async function stopped (home: string): Promise<void> {
    const r = await h.natter(['stop'], { home })
    expect(r.code).toBe(0)
  }

  it('a 0-byte or missing natter.db next to an existing identity is refused, naming the file; --new-store starts afresh', async () => {
    const first = await h.startDaemon()
    const home = first.home
    await stopped(home)
    await first.exited
    const db = join(home, 'natter.db')

    await truncate(db, 0)
    await rm(`${db}-wal`, { force: true })
    await rm(`${db}-shm`, { force: true })
    const empty = await h.natter(['daemon', '--no-mdns', '--network', 'local', '--listen', '/ip4/127.0.0.1/tcp/0'], { home })
    expect(empty.code).toBe(4)
    expect(empty.stderr).toContain(`the store ${db} is empty (0 bytes)`)
    expect(empty.stderr).toContain('--new-store')
    // nothing was created over it
    expect((await stat(db)).size).toBe(0)

    await rm(db)
    const missing = await h.natter(['daemon', '--no-mdns', '--network', 'local', '--listen', '/ip4/127.0.0.1/tcp/0'], { home })
    expect(missing.code).toBe(4)
    expect(missing.stderr).toContain(`the store ${db} is missing`)
    expect(await stat(db).then(() => true, () => false)).toBe(false)

    const fresh = await h.startDaemon({ home, args: ['--new-store'] })
    expect(fresh.info.peerId).toBe(first.info.peerId)
    expect((await stat(db)).size).toBeGreaterThan(0)
  })

  it('a first start (no identity yet) needs no flag', async () => {
    const d = await h.startDaemon()
    expect(d.info.created).toBe(true)
  })

  it('a lock naming a live process that is not this home’s daemon (pid 1) is treated as stale', async () => {
    const home = await h.tempDir()
    // as an older version wrote it (pid only): pid 1 is alive but is not natter
    await writeFile(join(home, 'daemon.lock'), '1\n')
    const d = await h.startDaemon({ home })
    expect((await readFile(join(home, 'daemon.lock'), 'utf8')).split('\n')[0]).toBe(String(d.proc.pid))
    await stopped(home)
    await d.exited

    // as this version writes it (pid and start time): the start time does not match pid 1's
    await writeFile(join(home, 'daemon.lock'), '1\n42\n')
    const again = await h.startDaemon({ home })
    expect((await readFile(join(home, 'daemon.lock'), 'utf8')).split('\n')[0]).toBe(String(again.proc.pid))

    // a live daemon of this home is still refused
    const second = await h.natter(['daemon', '--no-mdns', '--network', 'local', '--listen', '/ip4/127.0.0.1/tcp/0'], { home })
    expect(second.code).toBe(7)
    expect(second.stderr).toContain(`pid ${again.proc.pid}`)
  })
})
