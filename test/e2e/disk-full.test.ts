/**
 * A daemon whose disk fills up keeps running read-only and says so (issue 9):
 * the log, `natter status`, and a `storage` event on the API stream; it
 * resumes by itself once space returns. Its home is a real 8 MiB tmpfs filled
 * with a real file (needs root to mount, as CI has; skipped with a message
 * otherwise).
 */
import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { eventually, harness, subscribe } from './helpers.js'

function mountTmpfs (): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'natter-e2e-full-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'ignore' })
    return dir
  } catch {
    rmdirSync(dir)
    return undefined
  }
}

function fill (dir: string): string {
  const path = join(dir, 'filler')
  const fd = openSync(path, 'w')
  try {
    // bounded: 8 MiB takes at most 8192 writes of 1 KiB
    for (let i = 0; i < 16_384; i++) {
      try {
        writeSync(fd, Buffer.alloc(1024, 7))
      } catch {
        break
      }
    }
  } finally {
    closeSync(fd)
  }
  return path
}

describe('a daemon on a full disk', () => {
  const h = harness()
  const mounts: string[] = []
  afterEach(async () => {
    await h.cleanup()
    for (const dir of mounts.splice(0)) {
      try {
        execFileSync('umount', [dir], { stdio: 'ignore' })
        rmdirSync(dir)
      } catch (err) {
        console.warn(`[disk-full] could not unmount ${dir}: ${(err as Error).message}`)
      }
    }
  })

  it('goes read-only loudly (log, status, event), keeps serving reads, and resumes when space returns', async () => {
    const home = mountTmpfs()
    if (home == null) {
      console.warn('[disk-full] SKIPPED: mounting a tmpfs is not permitted here (run as root, as CI does)')
      return
    }
    mounts.push(home)
    const d = await h.startDaemon({ home })
    const { events, res } = await subscribe<{ type: string, storage?: { state: string, reason?: string } }>(d)
    const someone = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const filler = fill(home)

    // a write the disk refuses: the send fails with a clear, transient error, and the daemon lives on
    const send = await h.natter(['send', '--no-wait', someone, 'into a full disk'], { home })
    expect(send.code).not.toBe(0)
    await eventually(() => events.some(e => e.type === 'storage' && e.storage?.state === 'read-only'), 10_000, 'a storage read-only event')
    expect(d.stderr()).toMatch(/STORAGE READ-ONLY/)
    const status = await h.json<{ storage?: { state: string, reason?: string } }>(['status'], { home })
    expect(status.storage).toMatchObject({ state: 'read-only' })
    expect(status.storage?.reason).toMatch(/SQLITE_FULL/)
    const text = await h.natter(['status'], { home })
    expect(text.stdout).toMatch(/storage: READ-ONLY/)
    // reads still work
    expect((await h.natter(['contacts'], { home })).code).toBe(0)

    rmSync(filler)
    await eventually(() => events.some(e => e.type === 'storage' && e.storage?.state === 'ok'), 15_000, 'a storage ok event')
    expect((await h.json<{ storage?: { state: string } }>(['status'], { home })).storage).toMatchObject({ state: 'ok' })
    const again = await h.natter(['send', '--no-wait', someone, 'space is back'], { home })
    expect(again.code, again.stderr).toBe(0)
    res.destroy()
  })
})
