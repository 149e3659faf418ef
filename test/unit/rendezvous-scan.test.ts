/**
 * The same-machine rendezvous scan costs one directory read when idle: the
 * entry of a peer already connected is not opened (its file is named after
 * its peer id), so N daemons on one machine no longer read N² files every
 * scan. Entries of peers not connected are still read, checked and dialled.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createRendezvous } from '../../node/rendezvous.js'

const SELF = '12D3KooWSelf'
const CONNECTED = '12D3KooWConnected'
const OTHER = '12D3KooWOther'
/** A pid no process has (above Linux's pid_max). */
const DEAD_PID = 2 ** 22 + 1

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'natter-rdv-unit-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

describe('rendezvous scan', () => {
  it('does not open the entries of peers already connected, and dials the others', async () => {
    // a connected peer's entry with a dead pid: were it read, the scan would delete it as stale
    await writeFile(join(dir, `${CONNECTED}.json`), JSON.stringify({ peerId: CONNECTED, addresses: [`/ip4/127.0.0.1/tcp/1/p2p/${CONNECTED}`], pid: DEAD_PID }))
    await writeFile(join(dir, `${OTHER}.json`), JSON.stringify({ peerId: OTHER, addresses: [`/ip4/127.0.0.1/tcp/2/p2p/${OTHER}`], pid: process.pid }))
    const dialled: string[] = []
    const connected = new Set([CONNECTED])
    const rendezvous = createRendezvous({
      peerId: SELF,
      addresses: () => [`/ip4/127.0.0.1/tcp/3/p2p/${SELF}`],
      connectedPeers: () => [...connected],
      dial: async (address) => {
        dialled.push(address)
        connected.add(address.split('/p2p/')[1] ?? '')
      }
    }, { dir, intervalMs: 60_000 })
    await rendezvous.start()
    await rendezvous.scan()
    expect(dialled).toEqual([`/ip4/127.0.0.1/tcp/2/p2p/${OTHER}`])
    expect((await readdir(dir)).sort()).toEqual([`${CONNECTED}.json`, `${OTHER}.json`, `${SELF}.json`].sort())
    await rendezvous.stop()
  })

  it('still removes the stale entry of a peer that is not connected', async () => {
    await writeFile(join(dir, `${OTHER}.json`), JSON.stringify({ peerId: OTHER, addresses: [`/ip4/127.0.0.1/tcp/2/p2p/${OTHER}`], pid: DEAD_PID }))
    const rendezvous = createRendezvous({
      peerId: SELF,
      addresses: () => [`/ip4/127.0.0.1/tcp/3/p2p/${SELF}`],
      connectedPeers: () => [],
      dial: async () => {}
    }, { dir, intervalMs: 60_000 })
    await rendezvous.start()
    await rendezvous.scan()
    expect(await readdir(dir)).toEqual([`${SELF}.json`])
    await rendezvous.stop()
  })
})
