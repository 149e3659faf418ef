import { afterEach, describe, expect, it } from 'vitest'
import pWaitFor from 'p-wait-for'
import { nodeFactory } from '../helpers/nodes.js'
import type { GroupMessage, Natter } from '../../src/index.js'

/** `admin` knows every other node as a contact, and each knows `admin` (members need not know each other). */
async function star (admin: Natter, others: Natter[]): Promise<void> {
  for (const [i, o] of others.entries()) {
    await admin.contacts.add(`m${i}`, o.peerId)
    await o.contacts.add('admin', admin.peerId)
  }
  // the members are online (connected to the admin, their bootstrap peer) before the group is made
  await pWaitFor(() => others.every(o => admin.connectedPeers.includes(o.peerId)), { timeout: 20_000 })
}

function collect (node: Natter): GroupMessage[] {
  const got: GroupMessage[] = []
  node.addEventListener('group:message', (e) => { got.push(e.detail) })
  return got
}

describe('groups', () => {
  const nodes = nodeFactory()
  afterEach(async () => { await nodes.cleanup() })

  it('five members: create, every member joins, messages reach every member once, history and delivery state', async () => {
    const a = await nodes.create()
    const others = await Promise.all([0, 1, 2, 3].map(async () => nodes.create({ bootstrap: [a.addresses[0]!] })))
    await star(a, others)
    const inboxes = others.map(collect)
    const group = await a.groups.create('climbing', ['m0', 'm1', 'm2', 'm3'])
    expect(group.members).toHaveLength(5)
    await pWaitFor(() => others.every(o => o.groups.list().length === 1 && o.groups.list()[0]!.members.length === 5), { timeout: 30_000 })
    const sent = await a.groups.send(group.id, 'saturday?')
    await pWaitFor(() => inboxes.every(m => m.some(x => x.id === sent.message.id)), { timeout: 30_000 })
    // a member who is not the admin's sender: a member's message reaches the others, contacts or not
    const reply = await others[1]!.groups.send(group.id, 'yes!')
    await pWaitFor(() => [inboxes[0]!, inboxes[2]!, inboxes[3]!].every(m => m.some(x => x.id === reply.message.id)), { timeout: 30_000 })
    for (const [i, m] of inboxes.entries()) {
      expect(m.filter(x => x.id === sent.message.id)).toHaveLength(1)
      expect(m[0]!.text).toBe('saturday?')
      expect(m[0]!.from).toBe(a.peerId)
      expect(others[i]!.groups.history(group.id).map(x => x.text)).toContain('saturday?')
    }
    await pWaitFor(() => (a.groups.history(group.id).find(x => x.id === sent.message.id)?.deliveredTo?.length ?? 0) === 4, { timeout: 30_000 })
    expect(others[0]!.groups.get(group.id.slice(0, 10)).unread).toBe(2)
    expect(others[0]!.groups.markRead(group.id)).toBe(2)
  })
})
