/**
 * Group co-members and the DM rules (issue 16, PROTOCOL.md §13.9): a member of
 * my group who is not my contact delivers without a stranger's proof-of-work,
 * but its texts go to the requests inbox and meet that inbox's size checks, and
 * blocking it drops its DMs and hides its group messages.
 */
import { afterEach, describe, expect, it } from 'vitest'
import pWaitFor from 'p-wait-for'
import { libp2pOf, nodeFactory } from '../helpers/nodes.js'
import type { GroupsService } from '../../src/groups/service.js'
import type { GroupMessage, IncomingMessage, Natter } from '../../src/index.js'

const engine = (n: Natter): GroupsService => n.groups as GroupsService
const chains = (n: Natter, group: string): number => { try { return engine(n).chainsOf(group).length } catch { return 0 } }

describe('group co-members and the DM rules', () => {
  const nodes = nodeFactory()
  afterEach(async () => { await nodes.cleanup() })

  it('a co-member who is not a contact skips the stamp but not the requests inbox\'s size check; blocked, it is not shown', async () => {
    const a = await nodes.create()
    const b = await nodes.create({ bootstrap: [a.addresses[0]!] })
    // c: a high stamp difficulty (a stranger's unstamped text is refused) and a requests inbox of 2 texts per peer
    const c = await nodes.create({ bootstrap: [a.addresses[0]!], powDifficulty: 24, requestLimits: { maxMessagesPerPeer: 2 } })
    for (const [name, o] of [['b', b], ['c', c]] as const) {
      await a.contacts.add(name, o.peerId)
      await o.contacts.add('a', a.peerId)
    }
    const group = await a.groups.create('g', ['b', 'c'])
    await pWaitFor(() => [a, b, c].every(n => chains(n, group.id) >= 3), { timeout: 60_000 })
    expect(c.contacts.list().map(x => x.peerId)).not.toContain(b.peerId)

    // b writes to c directly: no stamp asked of a co-member, but the texts wait in c's requests inbox
    const requests: IncomingMessage[] = []
    const messages: IncomingMessage[] = []
    c.addEventListener('request', (e) => { requests.push(e.detail) })
    c.addEventListener('message', (e) => { messages.push(e.detail) })
    await b.send(c.peerId, 'one')
    await b.send(c.peerId, 'two')
    expect(requests.map(m => m.text)).toEqual(['one', 'two'])
    expect(messages).toEqual([])
    expect(c.requests.list()).toMatchObject([{ peer: b.peerId, count: 2 }])
    // the third is past the inbox's share for one peer: refused, as from any stranger
    await expect(b.send(c.peerId, 'three')).rejects.toThrow(/pending message request is full/)
    expect(c.requests.list()).toMatchObject([{ peer: b.peerId, count: 2 }])

    // c blocks b: b's group messages are neither stored nor shown at c, a's still are
    c.blocklist.block(b.peerId)
    const frames: Uint8Array[] = []
    const topic = engine(c).topicOf(group.id)
    libp2pOf(c).services.presence.addEventListener('message', (e) => { if (e.detail.topic === topic) frames.push(e.detail.data) })
    const shown: GroupMessage[] = []
    c.addEventListener('group:message', (e) => { shown.push(e.detail) })
    const fromB = await b.groups.send(group.id, 'from b')
    await pWaitFor(() => a.groups.history(group.id).some(m => m.id === fromB.message.id) && frames.length >= 1, { timeout: 30_000 })
    const fromA = await a.groups.send(group.id, 'from a')
    await pWaitFor(() => c.groups.history(group.id).some(m => m.id === fromA.message.id), { timeout: 30_000 })
    expect(await engine(c).receiveFrame(group.id, frames[0]!, 'control')).not.toBe('ok')
    expect(c.groups.history(group.id).map(m => m.text)).toEqual(['from a'])
    expect(shown.map(m => m.text)).toEqual(['from a'])
    // and its DMs are dropped without telling it (its request is hidden while it is blocked)
    await b.send(c.peerId, 'after the block')
    expect(c.requests.list()).toEqual([])
    expect(requests.map(m => m.text)).toEqual(['one', 'two'])
  }, 120_000)
})
