import { afterEach, describe, expect, it } from 'vitest'
import pWaitFor from 'p-wait-for'
import { nodeFactory } from '../helpers/nodes.js'
import { startChildPeer } from '../helpers/child.js'
import type { ChildPeer } from '../helpers/child.js'
import type { Presence } from '../../src/index.js'

describe('presence expiry', () => {
  const nodes = nodeFactory({ presenceTtlMs: 3000, presenceRepublishMs: 1000 })
  let child: ChildPeer | undefined
  afterEach(async () => {
    child?.proc.kill('SIGKILL')
    await nodes.cleanup()
  })

  it('a peer killed with SIGKILL is seen offline by its watchers within the expiry', async () => {
    const watcher = await nodes.create()
    child = await startChildPeer(await nodes.tempDir(), watcher.addresses[0], 3000)
    await pWaitFor(() => watcher.presence.get(child!.peerId)?.status === 'online', { timeout: 10_000 })

    const changes: Presence[] = []
    watcher.addEventListener('presence', (e) => { if (e.detail.peerId === child!.peerId) changes.push(e.detail) })
    const lastKnown = watcher.presence.get(child.peerId)!
    child.proc.kill('SIGKILL')

    await pWaitFor(() => watcher.presence.get(child!.peerId)?.status === 'offline', { timeout: 10_000 })
    const offline = changes.find(p => p.status === 'offline')!
    // it went offline because its last record lapsed, not earlier
    expect(offline.updatedAt).toBeGreaterThanOrEqual(lastKnown.updatedAt)
    expect(offline.updatedAt).toBeLessThanOrEqual(lastKnown.updatedAt + 3000 + 1000)
  })
})
