import { afterEach, describe, expect, it } from 'vitest'
import pWaitFor from 'p-wait-for'
import { nodeFactory } from '../helpers/nodes.js'
import { startChildPeer } from '../helpers/child.js'
import type { ChildPeer } from '../helpers/child.js'
import type { Presence } from '../../src/index.js'

/** The presence lifetime of every node here, the killed one included. */
const TTL_MS = 3000
/** The watcher's sweep runs every ttl / 10 (300 ms); the rest is for a loaded machine. */
const SLACK_MS = 1500

describe('presence expiry', () => {
  const nodes = nodeFactory({ presenceTtlMs: TTL_MS, presenceRepublishMs: 1000, presenceVisibility: 'public' })
  let child: ChildPeer | undefined
  afterEach(async () => {
    child?.proc.kill('SIGKILL')
    await nodes.cleanup()
  })

  it('a peer killed with SIGKILL is seen offline by its watchers within the expiry', async () => {
    const watcher = await nodes.create()
    child = await startChildPeer(await nodes.tempDir(), watcher.addresses[0], TTL_MS)
    await pWaitFor(() => watcher.presence.get(child!.peerId)?.status === 'online', { timeout: 10_000 })

    // when the watcher's event arrives, by the watcher's clock (the only clock that matters here)
    const offline = new Promise<{ presence: Presence, at: number }>(resolve => {
      watcher.addEventListener('presence', (e) => {
        if (e.detail.peerId === child!.peerId && e.detail.status === 'offline') {
          resolve({ presence: e.detail, at: Date.now() })
        }
      })
    })
    const lastKnown = watcher.presence.get(child.peerId)!
    const killedAt = Date.now()
    child.proc.kill('SIGKILL')

    const { at } = await offline
    console.log(`offline ${at - killedAt} ms after the kill (ttl ${TTL_MS} ms, last record expiring ${lastKnown.expiresAt - killedAt} ms after the kill)`)
    // not before its last record lapsed: nothing but the lapse can have made it offline
    expect(at).toBeGreaterThanOrEqual(lastKnown.expiresAt)
    // and within the ttl of the kill (the last record was issued before it), plus one sweep
    // period and room for a busy event loop
    expect(at - killedAt).toBeLessThanOrEqual(TTL_MS + SLACK_MS)
  })
})
