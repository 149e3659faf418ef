import { afterEach, describe, expect, it } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connectClient } from '../../cli/client.js'
import { eventually, harness, subscribe as subscribeEvents } from './helpers.js'
import type { DaemonHandle } from './helpers.js'
import type { IncomingMessage } from 'node:http'
import type { EventView, MessageView, PresenceView } from '../../node/api/contract/index.js'


/** Subscribes to a daemon's `/v1/events` with its token; collects the events. */
async function subscribe (daemon: DaemonHandle): Promise<{ events: EventView[], res: IncomingMessage }> {
  return subscribeEvents<EventView>(daemon)
}

describe('two daemons chatting through the CLI', () => {
  const h = harness()
  afterEach(async () => { await h.cleanup() })

  /** Two daemons that added each other by invite (bob's home prepared by the caller, if given). */
  async function pair (options: { bobHome?: string } = {}): Promise<{ alice: DaemonHandle, bob: DaemonHandle }> {
    const [alice, bob] = await Promise.all([h.startDaemon(), h.startDaemon({ home: options.bobHome })])
    const [aliceId, bobId] = await Promise.all([
      h.json<{ invite: string }>(['id'], { home: alice.home }),
      h.json<{ invite: string }>(['id'], { home: bob.home })
    ])
    const [added] = await Promise.all([
      h.json<{ contact: { name: string, peerId: string }, connected: boolean, bootstrap: string[] }>(['contacts', 'add', 'bob', bobId.invite], { home: alice.home }),
      h.json(['contacts', 'add', 'alice', aliceId.invite], { home: bob.home })
    ])
    expect(added.contact).toMatchObject({ name: 'bob', peerId: bob.info.peerId })
    expect(added.connected).toBe(true)
    expect(added.bootstrap).toEqual(bob.info.addresses)
    return { alice, bob }
  }

  it('A adds B by invite and sends; B sees it live and in history; --json parses', async () => {
    const { alice, bob } = await pair()
    const stream = await subscribe(bob)
    expect(stream.res.headers['content-type']).toContain('application/x-ndjson')

    const sent = await h.json<{ message: MessageView }>(['send', 'bob', 'hello', 'bob'], { home: alice.home })
    expect(sent.message).toMatchObject({ peer: bob.info.peerId, direction: 'out', text: 'hello bob', state: 'delivered' })
    await eventually(() => stream.events.some(e => e.type === 'message'), 10_000, 'the message event')
    expect(stream.events.find(e => e.type === 'message')).toMatchObject({
      name: 'alice',
      message: { id: sent.message.id, peer: alice.info.peerId, direction: 'in', text: 'hello bob' }
    })
    stream.res.destroy()

    const history = await h.json<{ peer: string, name: string, messages: MessageView[] }>(['history', 'alice'], { home: bob.home })
    expect(history).toMatchObject({ peer: alice.info.peerId, name: 'alice' })
    expect(history.messages.map(m => [m.id, m.direction, m.text])).toEqual([[sent.message.id, 'in', 'hello bob']])

    // the text may come from stdin; plain output says it was delivered
    const piped = await h.natter(['send', 'alice'], { home: bob.home, input: 'line one\nline two\n' })
    expect(piped.code).toBe(0)
    expect(piped.stdout).toMatch(/^delivered to alice \(id [0-9a-f]+\)\n$/)
    const plain = await h.natter(['history', 'bob', '--limit', '1'], { home: alice.home })
    // later lines of a message are indented under a ┆, so none can pose as another sender's line
    expect(plain.stdout).toMatch(/^\[\d\d:\d\d\] bob: line one\n {8}┆ line two\n$/)

    const [contacts, peers, ping] = await Promise.all([
      h.json<{ contacts: Array<{ name: string }> }>(['contacts', 'list'], { home: alice.home }),
      h.json<{ peers: Array<{ peerId: string, name?: string }> }>(['peers'], { home: alice.home }),
      h.json<{ peerId: string, rttMs: number }>(['ping', 'bob'], { home: alice.home })
    ])
    expect(contacts.contacts.map(c => c.name)).toEqual(['bob'])
    expect(peers.peers).toContainEqual({ peerId: bob.info.peerId, name: 'bob' })
    expect(ping.peerId).toBe(bob.info.peerId)
    expect(ping.rttMs).toBeGreaterThanOrEqual(0)
  })

  it('library options in config.json reach the node: with readReceipts, B reading marks A\'s message read', async () => {
    const bobHome = await h.tempDir()
    await writeFile(join(bobHome, 'config.json'), JSON.stringify({ readReceipts: true, powDifficulty: 10 }))
    const { alice, bob } = await pair({ bobHome })
    const sent = await h.json<{ message: MessageView }>(['send', 'bob', 'read me'], { home: alice.home })
    expect(sent.message.state).toBe('delivered')

    const client = await connectClient({ home: bob.home })
    expect(await client.api.markRead({ body: { peer: 'alice' } })).toEqual({ peerId: alice.info.peerId, marked: 1 })
    await eventually(async () => {
      const history = await h.json<{ messages: MessageView[] }>(['history', 'bob'], { home: alice.home })
      return history.messages.find(m => m.id === sent.message.id)?.state === 'read'
    }, 15_000, 'the read receipt')
  })

  it('status changes reach the other side; petnames work where peer ids do', async () => {
    const { alice, bob } = await pair()
    const stream = await subscribe(bob)
    const set = await h.json<{ presence: PresenceView }>(['status', 'away', '--note', 'lunch'], { home: alice.home })
    expect(set.presence).toMatchObject({ status: 'away', note: 'lunch' })

    await eventually(() => stream.events.some(e => e.type === 'presence' && e.presence.status === 'away'), 20_000, 'the presence event')
    const presence = await h.json<{ peers: PresenceView[] }>(['presence'], { home: bob.home })
    expect(presence.peers.find(x => x.peerId === alice.info.peerId)).toMatchObject({ name: 'alice', status: 'away', note: 'lunch' })
    stream.res.destroy()

    const renamed = await h.json<{ contact: { name: string } }>(['contacts', 'rename', 'bob', 'bobby'], { home: alice.home })
    expect(renamed.contact.name).toBe('bobby')
    const old = await h.natter(['send', 'bob', 'hi'], { home: alice.home })
    expect(old.code).toBe(4)
    expect(old.stderr.trim().split('\n')).toHaveLength(1)
    await h.json(['send', 'bobby', 'hi'], { home: alice.home })
    await h.json(['send', bob.info.peerId, 'by id'], { home: alice.home })
    const removed = await h.natter(['contacts', 'remove', 'bobby'], { home: alice.home })
    expect(removed.code).toBe(0)
    expect(removed.stdout).toContain('removed bobby')
    expect((await h.natter(['history', 'bobby'], { home: alice.home })).code).toBe(4)
    expect((await h.natter(['contacts', 'add', 'x', 'natter:not-an-invite'], { home: alice.home })).code).toBe(2)
    expect((await h.natter(['send', '12D3KooWnotapeer', 'hi'], { home: alice.home })).code).toBe(2)
  })
})
