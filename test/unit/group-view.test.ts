/**
 * How groups look in the terminal (cli/group-view.ts) and how a word is told
 * apart as a contact or a group (cli/target.ts), with a stand-in client.
 */
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../cli/errors.js'
import { describeChange, formatGroupMark, inboxEntries, memberLabel } from '../../cli/group-view.js'
import { styleFor } from '../../cli/output.js'
import { parseTarget, resolveTarget } from '../../cli/target.js'
import type { ApiClient } from '../../cli/client.js'
import type { ConversationView, GroupConversationView, GroupView } from '../../node/api/contract/index.js'

const plain = styleFor({ isTTY: false } as never, {})

const group = (over: Partial<GroupView> = {}): GroupView => ({
  id: 'bteam', name: 'team', role: 'admin', state: 'active', createdAt: 1, unread: 0, lastActivity: null, members: [], ...over
})

describe('group views', () => {
  it('marks delivery as k/n, all delivered as ✓✓, and reads apart', () => {
    expect(formatGroupMark(plain, { recipients: 0 })).toBe(' ✓')
    expect(formatGroupMark(plain, { recipients: 3, deliveredTo: [] })).toBe(' ✓ 0/3')
    expect(formatGroupMark(plain, { recipients: 3, deliveredTo: ['a', 'b'] })).toBe(' ✓ 2/3')
    expect(formatGroupMark(plain, { recipients: 3, deliveredTo: ['a', 'b', 'c'], readBy: ['a'] })).toBe(' ✓✓ 3/3 read 1/3')
    // more acknowledgements than recipients (a member removed meanwhile) never show as 4/3
    expect(formatGroupMark(plain, { recipients: 3, deliveredTo: ['a', 'b', 'c', 'd'] })).toBe(' ✓✓ 3/3')
  })

  it('marks members who are not contacts, and escapes their names', () => {
    expect(memberLabel('12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'bob', true)).toBe('bob')
    expect(memberLabel('12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'bob', false)).toBe('~bob')
    expect(memberLabel('12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '', false)).toBe('12D3KooWAA…AAAAAA')
    expect(memberLabel('12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'x\u001b[2J', false)).toBe('~x\\x1b[2J')
  })

  it('says who joined, left or was removed, by name known before the change', () => {
    const carol = { peerId: 'pc', name: 'carol', role: 'member' as const, contact: true, self: false, presence: 'offline' as const }
    const me = { peerId: 'pa', name: 'alice', role: 'admin' as const, contact: false, self: true, presence: 'unknown' as const }
    const before = group({ members: [me, carol] })
    const after = group({ members: [me] })
    expect(describeChange({ change: 'member-removed', group: after, member: 'pc', by: 'pa' }, before)).toBe('carol was removed by you')
    expect(describeChange({ change: 'member-added', group: before, member: 'pc', by: 'pa' })).toBe('carol joined (added by you)')
    expect(describeChange({ change: 'renamed', group: group({ name: 'new\u202e' }) }, before)).toBe('the group “team” was renamed to “new\\u202e”')
  })

  it('lists conversations and groups together, the most recent first, contacts without messages last', () => {
    const last = (sentAt: number) => ({ id: 'x', peer: 'p', direction: 'in' as const, text: '', seq: 1, sentAt, receivedAt: sentAt, state: 'received' as const })
    const conversations = [
      { peer: 'p1', contact: true, unread: 0, last: last(300), presence: { peerId: 'p1', status: 'offline', note: '', updatedAt: 0, expiresAt: 0 } },
      { peer: 'p2', contact: true, unread: 0, last: null, presence: { peerId: 'p2', status: 'offline', note: '', updatedAt: 0, expiresAt: 0 } }
    ] satisfies ConversationView[]
    const groups = [
      { id: 'g1', name: 'a', state: 'active', members: 2, unread: 0, last: null, lastActivity: 400 },
      { id: 'g2', name: 'b', state: 'active', members: 2, unread: 0, last: null, lastActivity: 100 }
    ] satisfies GroupConversationView[]
    expect(inboxEntries({ conversations, groups }).map(e => e.kind === 'peer' ? e.conversation.peer : e.group.id)).toEqual(['g1', 'p1', 'g2', 'p2'])
  })
})

describe('contact or group', () => {
  /** A client that knows the contacts and groups given. */
  const client = (contacts: string[], groups: string[]): ApiClient => ({
    api: {
      resolve: async ({ query }: { query: { peer: string } }) => {
        if (contacts.includes(query.peer)) {
          return { peerId: `peer-${query.peer}`, name: query.peer }
        }
        throw new ApiError('ContactNotFoundError', `no contact ${query.peer}`, 404)
      },
      getGroup: async ({ params }: { params: { group: string } }) => {
        if (groups.includes(params.group)) {
          return { group: group({ id: `b${params.group}`, name: params.group }) }
        }
        throw new ApiError('GroupNotFoundError', `no group ${params.group}`, 404)
      }
    }
  }) as unknown as ApiClient

  it('takes a contact or a group by name, and refuses a name that is both until told which', async () => {
    const c = client(['bob', 'team'], ['team', 'crew'])
    expect(await resolveTarget(c, 'bob', {}, 'natter send')).toMatchObject({ kind: 'peer', peerId: 'peer-bob' })
    expect(await resolveTarget(c, 'crew', {}, 'natter send')).toMatchObject({ kind: 'group', group: { id: 'bcrew' } })
    await expect(resolveTarget(c, 'team', {}, 'natter send')).rejects.toMatchObject({ name: 'AmbiguousTargetError', message: expect.stringContaining('--group team') })
    expect(await resolveTarget(c, 'team', { group: true }, 'natter send')).toMatchObject({ kind: 'group' })
    expect(await resolveTarget(c, 'group:team', {}, 'natter send')).toMatchObject({ kind: 'group' })
    expect(await resolveTarget(c, 'team', { contact: true }, 'natter send')).toMatchObject({ kind: 'peer' })
    await expect(resolveTarget(c, 'nobody', {}, 'natter send')).rejects.toMatchObject({ name: 'TargetNotFoundError' })
  })

  it('refuses contradictory or empty targets before asking the daemon', () => {
    expect(() => parseTarget('x', { group: true, contact: true })).toThrow(/cannot both/)
    expect(() => parseTarget('group:', {})).toThrow(/give the group/)
    expect(() => parseTarget('group:x', { contact: true })).toThrow(/--contact/)
  })
})
