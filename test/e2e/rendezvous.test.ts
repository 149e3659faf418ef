import { readdir } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { eventually, harness } from './helpers.js'

describe('same-machine discovery through the rendezvous directory', () => {
  const h = harness()
  afterEach(async () => { await h.cleanup() })

  it('two daemons with no configuration find each other, and leave on stop', async () => {
    const [a, b] = await Promise.all([h.startDaemon(), h.startDaemon()])
    const dir = await h.rendezvousDir()
    expect((await readdir(dir)).sort()).toEqual([`${a.info.peerId}.json`, `${b.info.peerId}.json`].sort())

    await eventually(async () => {
      const peers = await h.json<{ peers: Array<{ peerId: string }> }>(['peers'], { home: a.home })
      return peers.peers.some(p => p.peerId === b.info.peerId)
    }, 15_000, 'a connected to b')

    // found peers can talk without being contacts or having exchanged invites
    const ping = await h.json<{ peerId: string }>(['ping', b.info.peerId], { home: a.home })
    expect(ping.peerId).toBe(b.info.peerId)

    expect((await h.natter(['stop'], { home: b.home })).code).toBe(0)
    expect(await readdir(dir)).toEqual([`${a.info.peerId}.json`])
  })

  it('a daemon in another rendezvous directory stays apart', async () => {
    const elsewhere = await h.tempDir('natter-rdv-other-')
    const [a, b, c] = await Promise.all([
      h.startDaemon(),
      h.startDaemon({ env: { NATTER_RENDEZVOUS_DIR: elsewhere } }),
      h.startDaemon()
    ])
    expect(await readdir(elsewhere)).toEqual([`${b.info.peerId}.json`])
    await eventually(async () => {
      const peers = await h.json<{ peers: Array<{ peerId: string }> }>(['peers'], { home: c.home })
      return peers.peers.some(p => p.peerId === a.info.peerId)
    }, 15_000, 'c connected to a')
    const peers = await h.json<{ peers: Array<{ peerId: string }> }>(['peers'], { home: c.home })
    expect(peers.peers.map(p => p.peerId)).not.toContain(b.info.peerId)
  })
})
