/**
 * Group conversations end to end: real daemons, each in its own home, driven
 * by the real `natter` binary. Alice creates a group with her contacts bob
 * and carol (who are not each other's contacts), messages go round, the
 * inbox, history and the chat screen show them with their senders and
 * "k/n" delivery, a removed member's CLI shows the removal and receives
 * nothing new, a member leaves, and bad arguments end in named errors with
 * their exit codes.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { eventually, harness } from './helpers.js'
import type { DaemonHandle } from './helpers.js'
import type { GroupConversationView, GroupMessageView, GroupView } from '../../node/api/contract/index.js'

interface ErrorDoc { error: { name: string, message: string, exitCode: number } }

describe('natter groups', () => {
  const h = harness()
  afterEach(async () => { await h.cleanup() })

  /** alice (contacts bob and carol), bob and carol (each has alice only). */
  async function trio (): Promise<{ alice: DaemonHandle, bob: DaemonHandle, carol: DaemonHandle }> {
    const [alice, bob, carol] = await Promise.all([
      h.startDaemon({ args: ['--name', 'alice'] }),
      h.startDaemon({ args: ['--name', 'bob'] }),
      h.startDaemon({ args: ['--name', 'carol'] })
    ])
    const [aliceId, bobId, carolId] = await Promise.all([alice, bob, carol].map(async d => h.json<{ invite: string }>(['id'], { home: d.home })))
    await h.json(['contacts', 'add', 'bob', bobId!.invite], { home: alice.home })
    await h.json(['contacts', 'add', 'carol', carolId!.invite], { home: alice.home })
    await h.json(['contacts', 'add', 'alice', aliceId!.invite], { home: bob.home })
    await h.json(['contacts', 'add', 'alice', aliceId!.invite], { home: carol.home })
    return { alice, bob, carol }
  }

  const groupOf = async (d: DaemonHandle, key: string): Promise<GroupView | undefined> => {
    const r = await h.natter(['group', 'show', key, '--json'], { home: d.home })
    return r.code === 0 ? (JSON.parse(r.stdout) as { group: GroupView }).group : undefined
  }
  const historyOf = async (d: DaemonHandle, key: string): Promise<GroupMessageView[]> =>
    (await h.json<{ messages: GroupMessageView[] }>(['history', key, '--group'], { home: d.home })).messages

  it('create, add, send, inbox and history, remove (the removed member receives nothing new), leave, with --json shapes', async () => {
    const { alice, bob, carol } = await trio()

    // create with one contact, add the other
    const created = await h.json<{ group: GroupView }>(['group', 'create', 'team', 'bob'], { home: alice.home })
    expect(created.group).toMatchObject({ name: 'team', role: 'admin', state: 'active', unread: 0 })
    expect(created.group.id).toMatch(/^b[a-z2-7]+$/)
    expect(created.group.members.map(m => [m.peerId, m.role, m.self]).sort()).toEqual([
      [alice.info.peerId, 'admin', true], [bob.info.peerId, 'member', false]
    ].sort())
    const added = await h.natter(['group', 'add', 'team', 'carol'], { home: alice.home })
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).toMatch(/^team: added carol; members: /)
    const id = created.group.id

    // the invitations arrive: the group is in both members' lists
    await eventually(async () => (await groupOf(bob, id))?.members.length === 3 && (await groupOf(carol, id))?.members.length === 3, 30_000, 'bob and carol in the group')
    const list = await h.json<{ groups: GroupView[] }>(['group', 'list'], { home: bob.home })
    expect(list.groups.map(g => [g.id, g.name, g.role, g.state])).toEqual([[id, 'team', 'member', 'active']])
    // bob and carol are not each other's contacts: each sees the other as a member who is not one
    const seenByCarol = (await groupOf(carol, 'team'))!
    expect(seenByCarol.members.find(m => m.peerId === bob.info.peerId)).toMatchObject({ contact: false, role: 'member', presence: 'unknown' })
    expect(seenByCarol.members.find(m => m.peerId === alice.info.peerId)).toMatchObject({ contact: true, role: 'admin', name: 'alice' })
    const show = await h.natter(['group', 'show', 'team'], { home: carol.home })
    expect(show.code).toBe(0)
    expect(show.stdout).toMatch(/^ {2}alice\s+admin/m)
    expect(show.stdout).toMatch(new RegExp(`^ {2}(~\\S+|12D3KooW\\S+)\\s+member\\s+not a contact\\s+${bob.info.peerId}$`, 'm'))

    // alice writes to the group: bob and carol get it, with the sender's name
    const sent = await h.json<{ message: GroupMessageView }>(['send', 'team', 'hello team'], { home: alice.home })
    expect(sent.message).toMatchObject({ groupId: id, direction: 'out', text: 'hello team', from: alice.info.peerId, recipients: 2, seq: 1 })
    await eventually(async () => (await historyOf(bob, id)).some(m => m.text === 'hello team'), 30_000, 'bob has the message')
    await eventually(async () => (await historyOf(carol, id)).some(m => m.text === 'hello team'), 30_000, 'carol has the message')

    // bob's inbox lists the group with its unread count, beside his conversation with alice
    const inbox = await h.json<{ groups: GroupConversationView[] }>(['inbox'], { home: bob.home })
    expect(inbox.groups).toHaveLength(1)
    expect(inbox.groups[0]).toMatchObject({ id, name: 'team', unread: 1, members: 3, state: 'active', last: { text: 'hello team', from: alice.info.peerId, name: 'alice', direction: 'in' } })
    const inboxText = await h.natter(['inbox'], { home: bob.home })
    expect(inboxText.stdout).toMatch(/# team\s+3 members\s+1 new\s+\[\d\d:\d\d\] alice: hello team/)
    // history shows it and marks it read
    const bobHistory = await h.natter(['history', 'team'], { home: bob.home })
    expect(bobHistory.stdout).toMatch(/\] alice: hello team/)
    await eventually(async () => (await h.json<{ groups: GroupConversationView[] }>(['inbox'], { home: bob.home })).groups[0]?.unread === 0, 10_000, 'read')

    // bob answers; carol sees him by the name he gave, marked as not a contact
    await h.json(['send', 'group:team', 'from bob'], { home: bob.home })
    await eventually(async () => (await historyOf(carol, id)).some(m => m.text === 'from bob'), 30_000, 'carol has bob\'s message')
    const carolHistory = await h.natter(['history', 'team'], { home: carol.home })
    expect(carolHistory.stdout).toMatch(/\] (~\S+|12D3KooW\S+): from bob/)
    expect(carolHistory.stdout).toMatch(/\] alice: hello team/)

    // alice sees her message delivered to both
    await eventually(async () => {
      const m = (await historyOf(alice, id)).find(x => x.text === 'hello team')
      return m?.deliveredTo?.length === 2
    }, 30_000, 'hello team delivered to 2 of 2')
    expect((await h.natter(['history', 'team'], { home: alice.home })).stdout).toMatch(/me: hello team ✓✓ 2\/2/)

    // remove carol: her CLI shows it, and she receives nothing sent afterwards
    const removed = await h.json<{ group: GroupView }>(['group', 'remove', 'team', 'carol'], { home: alice.home })
    expect(removed.group.members.map(m => m.peerId).sort()).toEqual([alice.info.peerId, bob.info.peerId].sort())
    await eventually(async () => (await groupOf(carol, id))?.state === 'removed', 30_000, 'carol sees she was removed')
    await eventually(async () => (await groupOf(bob, id))?.members.length === 2, 30_000, 'bob sees carol removed')
    const afterRemoval = await h.json<{ message: GroupMessageView }>(['send', 'team', 'after removal'], { home: alice.home })
    expect(afterRemoval.message.recipients).toBe(1)
    await eventually(async () => (await historyOf(bob, id)).some(m => m.text === 'after removal'), 30_000, 'bob has the message sent after the removal')
    expect((await historyOf(carol, id)).map(m => m.text)).not.toContain('after removal')
    const carolShow = await h.natter(['group', 'show', 'team'], { home: carol.home })
    expect(carolShow.stdout).toMatch(/you were removed from this group/)
    const carolSend = await h.natter(['send', 'team', 'still here?', '--json'], { home: carol.home })
    expect(carolSend.code).toBe(10)
    expect((JSON.parse(carolSend.stdout) as ErrorDoc).error.name).toBe('NotGroupMemberError')

    // bob leaves: alice sees him gone, bob keeps the history
    const left = await h.json<{ group: GroupView }>(['group', 'leave', 'team'], { home: bob.home })
    expect(left.group.state).toBe('left')
    await eventually(async () => (await groupOf(alice, id))?.members.length === 1, 30_000, 'alice sees bob left')
    expect((await historyOf(bob, id)).map(m => m.text)).toEqual(['hello team', 'from bob', 'after removal'])
    expect((await h.natter(['send', 'team', 'bye'], { home: bob.home })).code).toBe(10)
  }, 180_000)

  it('the chat screen shows group messages with their sender, delivery k/n, and joins and removals as system lines', async () => {
    const { alice, bob, carol } = await trio()
    const { group } = await h.json<{ group: GroupView }>(['group', 'create', 'crew', 'bob', 'carol'], { home: alice.home })
    await eventually(async () => (await groupOf(bob, group.id)) != null && (await groupOf(carol, group.id)) != null, 30_000, 'bob and carol in crew')

    const chat = await h.pty(['chat', 'crew'], { home: alice.home })
    await chat.waitFor('chatting in crew')
    await chat.waitFor(/3 members: (you|bob|carol), (you|bob|carol), (you|bob|carol)/)
    const carolChat = await h.pty(['chat', 'crew'], { home: carol.home })
    await carolChat.waitFor('chatting in crew')
    await carolChat.waitFor('> ')

    await h.json(['send', 'crew', 'hi from bob'], { home: bob.home })
    await chat.waitFor(/\] bob: hi from bob/, 30_000)
    // carol does not have bob as a contact: his name is marked
    await carolChat.waitFor(/\] (~\S+|12D3KooW\S+): hi from bob/, 30_000)

    await chat.waitFor('> ')
    chat.write('typed in chat\r')
    await chat.waitFor(/me: typed in chat ✓/)
    // the mark becomes 2/2 in place as both members acknowledge it
    await chat.waitFor(/me: typed in chat ✓✓ 2\/2/, 30_000)
    await carolChat.waitFor(/\] alice: typed in chat/, 30_000)

    // a removal shows as a system line on both screens; carol's stops receiving
    await h.json(['group', 'remove', 'crew', 'carol'], { home: alice.home })
    await chat.waitFor(/\* carol was removed by you/, 30_000)
    await carolChat.waitFor(/\* you were removed from crew by alice; you receive nothing new/, 30_000)
    await h.json(['send', 'crew', 'not for carol'], { home: alice.home })
    await eventually(async () => (await historyOf(bob, group.id)).some(m => m.text === 'not for carol'), 30_000, 'bob has it')
    // and adding someone back shows too
    await h.json(['group', 'add', 'crew', 'carol'], { home: alice.home })
    await chat.waitFor(/\* carol joined \(added by you\)/, 30_000)
    chat.write('/members\r')
    await chat.waitFor(/\* 3 members of crew:[\s\S]*\n {2}carol\s+member/)
    carolChat.write('/quit\r')
    expect(await carolChat.exited).toBe(0)
    expect(carolChat.output()).not.toContain('not for carol')
    chat.write('/quit\r')
    expect(await chat.exited).toBe(0)

    // bob's conversation list shows the group with its unread count; its number opens it
    const list = await h.pty(['chat'], { home: bob.home })
    await list.waitFor(/ 1 # crew\s+3 members\s+\d+ new\s+\[\d\d:\d\d\] alice: not for carol/, 30_000)
    list.write('1\r')
    await list.waitFor('chatting in crew')
    await list.waitFor(/\] alice: typed in chat[\s\S]*\] alice: not for carol/)
    list.write('/quit\r')
    expect(await list.exited).toBe(0)
    await eventually(async () => (await h.json<{ groups: GroupConversationView[] }>(['inbox'], { home: bob.home })).groups[0]?.unread === 0, 10_000, 'what the screen showed is read')
  }, 180_000)

  it('a name that is both a contact and a group, and bad arguments, end in named errors and exit codes', async () => {
    const [alice, bob] = await Promise.all([h.startDaemon(), h.startDaemon()])
    const bobId = await h.json<{ invite: string }>(['id'], { home: bob.home })
    await h.json(['contacts', 'add', 'bob', bobId.invite], { home: alice.home })
    const { group } = await h.json<{ group: GroupView }>(['group', 'create', 'bob'], { home: alice.home })

    // ambiguous: refused with the ways to say which
    const ambiguous = await h.natter(['send', 'bob', 'hi'], { home: alice.home })
    expect(ambiguous.code).toBe(2)
    expect(ambiguous.stderr).toMatch(/"bob" is both a contact and a group; say which: `natter --home \S+ send --contact bob …` for the contact, `natter --home \S+ send --group bob …`/)
    const ambiguousJson = await h.natter(['send', 'bob', 'hi', '--json'], { home: alice.home })
    expect((JSON.parse(ambiguousJson.stdout) as ErrorDoc).error).toMatchObject({ name: 'AmbiguousTargetError', exitCode: 2 })
    // said: to the group, to the contact
    const toGroup = await h.json<{ message: GroupMessageView }>(['send', '--group', 'bob', 'to the group'], { home: alice.home })
    expect(toGroup.message.groupId).toBe(group.id)
    const prefixed = await h.json<{ message: GroupMessageView }>(['send', 'group:bob', 'prefixed'], { home: alice.home })
    expect(prefixed.message.groupId).toBe(group.id)
    const toContact = await h.json<{ message: { peer: string } }>(['send', '--contact', 'bob', 'to bob'], { home: alice.home })
    expect(toContact.message.peer).toBe(bob.info.peerId)
    expect((await h.natter(['send', '--group', '--contact', 'bob', 'x'], { home: alice.home })).code).toBe(2)
    expect((await h.natter(['history', 'bob'], { home: alice.home })).code).toBe(2)
    expect((await h.natter(['history', 'group:bob'], { home: alice.home })).stdout).toMatch(/me: to the group/)
    // chat without a terminal: lines from stdin go to the group, the transcript is one JSON document
    const transcript = await h.json<{ group: string, name: string, messages: GroupMessageView[] }>(['chat', '--group', 'bob'], { home: alice.home, input: 'one\ntwo\n' })
    expect(transcript).toMatchObject({ group: group.id, name: 'bob' })
    expect(transcript.messages.map(m => [m.direction, m.text, m.groupId])).toEqual([['out', 'one', group.id], ['out', 'two', group.id]])
    expect((await h.natter(['chat', 'bob'], { home: alice.home })).code).toBe(2)

    // unknown names
    const nothing = await h.natter(['send', 'nobody', 'hi'], { home: alice.home })
    expect(nothing.code).toBe(4)
    expect(nothing.stderr).toMatch(/no contact or group named "nobody"/)
    const noGroup = await h.natter(['group', 'show', 'nobody', '--json'], { home: alice.home })
    expect(noGroup.code).toBe(4)
    expect((JSON.parse(noGroup.stdout) as ErrorDoc).error.name).toBe('GroupNotFoundError')
    const notContact = await h.natter(['group', 'create', 'x', 'stranger'], { home: alice.home })
    expect(notContact.code).toBe(4)
    expect(notContact.stderr).toMatch(/stranger/)
    expect((await h.natter(['group', 'create', 'bad', '12D3KooWnotapeer'], { home: alice.home })).code).toBe(2)

    // malformed
    expect((await h.natter(['group', 'create', ''], { home: alice.home })).code).toBe(2)
    expect((await h.natter(['group', 'create', 'group:x'], { home: alice.home })).code).toBe(2)
    expect((await h.natter(['group', 'add', 'bob'], { home: alice.home })).code).toBe(2)
    expect((await h.natter(['group', 'rename', 'bob', ' '], { home: alice.home })).code).toBe(2)
    const stray = await h.natter(['group', 'shwo', 'bob'], { home: alice.home })
    expect(stray.code).toBe(2)
    expect(stray.stderr).toMatch(/did you mean show/)
    expect((await h.natter(['send', 'group:', 'x'], { home: alice.home })).code).toBe(2)

    // only an admin renames, adds or removes
    const aliceId = await h.json<{ invite: string }>(['id'], { home: alice.home })
    await h.json(['contacts', 'add', 'alice', aliceId.invite], { home: bob.home })
    await h.json(['group', 'add', 'bob', 'bob'], { home: alice.home })
    await eventually(async () => (await groupOf(bob, group.id)) != null, 30_000, 'bob in the group')
    const rename = await h.natter(['group', 'rename', group.id.slice(0, 10), 'mine now', '--json'], { home: bob.home })
    expect(rename.code).toBe(10)
    expect((JSON.parse(rename.stdout) as ErrorDoc).error.name).toBe('NotGroupAdminError')
    expect((await h.natter(['group', 'remove', group.id, 'alice'], { home: bob.home })).code).toBe(10)
    // the admin check comes first: a non-admin adding someone who is not its contact is told it is no admin
    const notAdmin = await h.natter(['group', 'add', group.id, 'nobody-i-know', '--json'], { home: bob.home })
    expect(notAdmin.code).toBe(10)
    expect((JSON.parse(notAdmin.stdout) as ErrorDoc).error.name).toBe('NotGroupAdminError')
  }, 180_000)

  it('group and member names from peers are escaped for people and exact with --json', async () => {
    const { alice, bob } = await trio()
    const evil = 'team\u001b[2J\u001b]0;pwned\u0007\u202e'
    const { group } = await h.json<{ group: GroupView }>(['group', 'create', evil, 'bob'], { home: alice.home })
    await eventually(async () => (await groupOf(bob, group.id)) != null, 30_000, 'bob in the group')
    await h.json(['send', group.id, 'line one\n\u001b[2K[12:00] alice: forged'], { home: alice.home })
    await eventually(async () => (await historyOf(bob, group.id)).length === 1, 30_000, 'bob has the message')
    for (const args of [['group', 'list'], ['group', 'show', group.id], ['inbox'], ['history', group.id]]) {
      const r = await h.natter(args, { home: bob.home })
      expect(r.code, args.join(' ')).toBe(0)
      // eslint-disable-next-line no-control-regex
      expect(r.stdout, args.join(' ')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/)
    }
    expect((await h.natter(['group', 'list'], { home: bob.home })).stdout).toContain('team\\x1b[2J\\x1b]0;pwned\\x07\\u202e')
    // a forged line stays under the real sender, marked as a continuation
    expect((await h.natter(['history', group.id], { home: bob.home })).stdout).toMatch(/\] alice: line one\n\s+┆ \\x1b\[2K\[12:00\] alice: forged/)
    expect((await h.json<{ groups: GroupView[] }>(['group', 'list'], { home: bob.home })).groups[0]?.name).toBe(evil)
  }, 180_000)
})
