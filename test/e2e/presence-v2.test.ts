/**
 * Presence v2 with three real daemons driven by the CLI: alice and bob are
 * contacts, carol is not (and is on the same network). bob sees alice's
 * status changes; carol sees nothing of alice; `natter config set
 * presenceVisibility invisible` turns alice offline for bob at once, and
 * `public` shows her to carol; a daemon killed with SIGKILL is offline for
 * its contact within the ttl (removal: test/integration/presence-v2.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { eventually, harness } from './helpers.js'
import type { DaemonHandle } from './helpers.js'
import type { PresenceView } from '../../node/api/contract/index.js'

const TTL_MS = 6000

describe('presence v2 through the CLI', () => {
  const h = harness()
  afterEach(async () => { await h.cleanup() })

  async function daemon (): Promise<DaemonHandle> {
    const home = await h.tempDir()
    await writeFile(join(home, 'config.json'), JSON.stringify({ presenceTtlMs: TTL_MS }))
    return h.startDaemon({ home })
  }
  const presenceOf = async (viewer: DaemonHandle, peerId: string): Promise<PresenceView | undefined> =>
    (await h.json<{ peers: PresenceView[] }>(['presence'], { home: viewer.home })).peers.find(p => p.peerId === peerId)

  it('contacts see changes, a non-contact nothing; invisible and public do what they say; a crash is offline within the ttl', async () => {
    const [alice, bob, carol] = await Promise.all([daemon(), daemon(), daemon()])
    const [aliceId, bobId] = await Promise.all([alice, bob].map(async d => h.json<{ invite: string }>(['id'], { home: d.home })))
    await Promise.all([
      h.json(['contacts', 'add', 'bob', bobId!.invite], { home: alice.home }),
      h.json(['contacts', 'add', 'alice', aliceId!.invite], { home: bob.home }),
      // carol knows both (on the network, connected), but is nobody's contact
      h.json(['connect', alice.info.addresses[0]!], { home: carol.home }),
      h.json(['connect', bob.info.addresses[0]!], { home: carol.home })
    ])
    const own = await h.json<{ own: PresenceView, visibility: string }>(['presence'], { home: alice.home })
    expect(own.visibility).toBe('contacts')

    await h.json(['status', 'away', '--note', 'lunch'], { home: alice.home })
    await eventually(async () => (await presenceOf(bob, alice.info.peerId))?.note === 'lunch', 30_000, 'bob sees alice at lunch')
    expect(await presenceOf(carol, alice.info.peerId)).toBeUndefined()

    // invisible: bob sees alice offline well before her last record would lapse
    const set = await h.natter(['config', 'set', 'presenceVisibility', 'invisible'], { home: alice.home })
    expect(set.code).toBe(0)
    await eventually(async () => (await presenceOf(bob, alice.info.peerId))?.status === 'offline', TTL_MS - 1000, 'bob sees alice offline')
    // public: carol (a stranger) sees her too
    await h.natter(['config', 'set', 'presenceVisibility', 'public'], { home: alice.home })
    await h.json(['status', 'busy', '--note', 'bot'], { home: alice.home })
    await eventually(async () => (await presenceOf(carol, alice.info.peerId))?.note === 'bot', 30_000, 'carol sees public alice')
    await eventually(async () => (await presenceOf(bob, alice.info.peerId))?.note === 'bot', 30_000, 'bob sees alice again')
    await h.natter(['config', 'set', 'presenceVisibility', 'contacts'], { home: alice.home })

    // a crash: bob sees alice offline within one ttl (plus a sweep and a loaded machine's slack)
    await h.json(['status', 'online', '--note', 'here'], { home: alice.home })
    await eventually(async () => (await presenceOf(bob, alice.info.peerId))?.note === 'here', 30_000, 'bob sees alice here')
    const killedAt = Date.now()
    alice.proc.kill('SIGKILL')
    await eventually(async () => (await presenceOf(bob, alice.info.peerId))?.status === 'offline', TTL_MS + 5000, 'bob sees crashed alice offline')
    console.log(`offline ${Date.now() - killedAt} ms after SIGKILL (ttl ${TTL_MS} ms)`)
  }, 180_000)
})
