/**
 * The chat screen in a real pseudo-terminal against real daemons: delivery
 * marks that change in place, read receipts end to end, multi-line input,
 * the conversation list and switching, and the inbox's unread counts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { eventually, harness } from './helpers.js'

interface Message { id: string, direction: 'in' | 'out', text: string, state: string }
interface Conversation { peer: string, name?: string, contact: boolean, unread: number, last: Message | null, presence: { status: string } }

describe('the chat screen', () => {
  const h = harness()
  afterEach(async () => { await h.cleanup() })

  async function pair (): Promise<{ alice: Awaited<ReturnType<typeof h.startDaemon>>, bob: Awaited<ReturnType<typeof h.startDaemon>> }> {
    const [alice, bob] = await Promise.all([h.startDaemon({ args: ['--name', 'alice'] }), h.startDaemon({ args: ['--name', 'bob'] })])
    const [aliceId, bobId] = await Promise.all([
      h.json<{ invite: string }>(['id'], { home: alice.home }),
      h.json<{ invite: string }>(['id'], { home: bob.home })
    ])
    // no names given: each invite names its sender
    await h.json(['contacts', 'add', bobId.invite], { home: alice.home })
    await h.json(['contacts', 'add', aliceId.invite], { home: bob.home })
    return { alice, bob }
  }

  it('changes a delivery mark in place from queued to delivered when the peer comes back', async () => {
    const { alice, bob } = await pair()
    await h.natter(['stop'], { home: bob.home })
    await bob.exited

    const chat = await h.pty(['chat', 'bob'], { home: alice.home })
    await chat.waitFor('chatting with bob')
    await chat.waitFor('> ')
    chat.write('sent while you were away\r')
    await chat.waitFor(/me: sent while you were away …/)

    // bob starts again (a new port; the same-machine rendezvous finds him) and the message goes out
    await h.startDaemon({ home: bob.home })
    await chat.waitFor(/me: sent while you were away ✓✓/, 45_000)
    // rewritten in place: the cursor was saved, the line overwritten, the cursor restored; no note below
    // (the restore may arrive in a later chunk than the mark the wait above saw)
    // eslint-disable-next-line no-control-regex
    const rewritten = /\u001b7[^\n]*me: sent while you were away ✓✓[^\n]*\u001b8/
    await eventually(() => rewritten.test(chat.raw()), 10_000, 'the rewritten line to be closed by a cursor restore')
    expect(chat.output()).not.toContain('↳')
    const history = await h.json<{ messages: Message[] }>(['history', 'alice'], { home: bob.home })
    expect(history.messages.map(m => m.text)).toEqual(['sent while you were away'])
    chat.write('/quit\r')
    expect(await chat.exited).toBe(0)
  })

  it('shows read receipts, keeps pasted and Alt+Enter lines in one message, answers /status and unknown commands', async () => {
    const { alice, bob } = await pair()
    // bob is the reader: his setting decides whether alice learns he read it
    const set = await h.json<{ config: { readReceipts: boolean }, restartNeeded: string[] }>(['config', 'set', 'read-receipts', 'on'], { home: bob.home })
    expect(set.config.readReceipts).toBe(true)
    expect(set.restartNeeded).toEqual([])

    const chat = await h.pty(['chat', 'bob'], { home: alice.home })
    await chat.waitFor('> ')
    chat.write('please read this\r')
    await chat.waitFor(/me: please read this ✓✓/)
    expect(chat.output()).not.toMatch(/please read this ✓✓ read/)
    const shown = await h.natter(['history', 'alice'], { home: bob.home })
    expect(shown.stdout).toContain('alice: please read this')
    await chat.waitFor(/me: please read this ✓✓ read/)

    // a bracketed paste of three lines, then Enter: one message
    chat.write('\u001b[200~first line\nsecond line\r\nthird line\u001b[201~')
    await chat.waitFor('first line␤second line␤third line')
    chat.write('\r')
    await chat.waitFor(/me: first line\r?\n\s+┆ second line\r?\n\s+┆ third line/)
    // Alt+Enter starts a new line in the message being typed
    chat.write('one\u001b\rtwo\r')
    await chat.waitFor(/me: one\r?\n\s+┆ two/)
    await eventually(async () => {
      const h2 = await h.json<{ messages: Message[] }>(['history', 'alice'], { home: bob.home })
      return h2.messages.some(m => m.text === 'first line\nsecond line\nthird line') && h2.messages.some(m => m.text === 'one\ntwo')
    }, 20_000, 'bob has both multi-line messages, each as one message')

    chat.write('/status\r')
    await chat.waitFor('* you are online')
    chat.write('/stauts away\r')
    await chat.waitFor('unknown command /stauts (did you mean /status?); /help lists commands')
    chat.write('/quit\r')
    expect(await chat.exited).toBe(0)
  })

  it('lists conversations with unread counts, opens one by number, and reads what it shows', async () => {
    const { alice, bob } = await pair()
    await h.json(['send', 'alice', 'one'], { home: bob.home })
    await h.json(['send', 'alice', 'two'], { home: bob.home })

    const inbox = await h.json<{ conversations: Conversation[], requests: number }>(['inbox'], { home: alice.home })
    expect(inbox.conversations).toHaveLength(1)
    expect(inbox.conversations[0]).toMatchObject({ peer: bob.info.peerId, name: 'bob', contact: true, unread: 2, last: { text: 'two', direction: 'in' } })
    // presence v2: bob's presence reaches alice once they have exchanged presence keys (a moment after adding)
    await eventually(async () => (await h.json<{ peers: Array<{ peerId: string, status: string }> }>(['presence'], { home: alice.home })).peers
      .some(p => p.peerId === bob.info.peerId && p.status === 'online'), 20_000, 'alice sees bob online')
    const human = await h.natter(['inbox'], { home: alice.home })
    expect(human.stdout).toMatch(/1 bob\s+●\s+online\s+2 new\s+\[\d\d:\d\d\] two/)

    const chat = await h.pty(['chat'], { home: alice.home })
    await chat.waitFor('conversations')
    await chat.waitFor(/1 bob .* 2 new/)
    chat.write('1\r')
    await chat.waitFor('chatting with bob')
    await chat.waitFor(/bob: two/)
    await eventually(async () => {
      const now = await h.json<{ conversations: Conversation[] }>(['inbox'], { home: alice.home })
      return now.conversations[0]?.unread === 0
    }, 10_000, 'the shown messages are read')

    // the terminal loses focus: new messages ring the bell and stay unread until it is focused again
    chat.write('\u001b[O')
    const rang = chat.raw().length
    await h.json(['send', 'alice', 'are you there?'], { home: bob.home })
    await chat.waitFor('bob: are you there?')
    await h.json(['send', 'alice', 'hello?'], { home: bob.home })
    await chat.waitFor('bob: hello?')
    expect(chat.raw().slice(rang)).toContain('\u0007')
    expect((await h.json<{ conversations: Conversation[] }>(['inbox'], { home: alice.home })).conversations[0]?.unread).toBe(2)
    chat.write('\u001b[I')
    await eventually(async () => {
      const now = await h.json<{ conversations: Conversation[] }>(['inbox'], { home: alice.home })
      return now.conversations[0]?.unread === 0
    }, 10_000, 'read once the terminal is focused')
    // focused: no bell
    const quiet = chat.raw().length
    await h.json(['send', 'alice', 'there you are'], { home: bob.home })
    await chat.waitFor('bob: there you are')
    expect(chat.raw().slice(quiet)).not.toContain('\u0007')

    // a stranger writes: a request notice; once accepted, the conversation is in the inbox without being a contact
    const carol = await h.startDaemon()
    await h.json(['contacts', 'add', 'alice', alice.info.peerId], { home: carol.home })
    await h.json(['connect', alice.info.addresses[0]!], { home: carol.home })
    await h.json(['send', 'alice', 'hi from carol'], { home: carol.home })
    await chat.waitFor('* a message request from 12D3KooW')
    await h.json(['requests', 'accept', carol.info.peerId], { home: alice.home })
    const withCarol = await h.json<{ conversations: Conversation[] }>(['inbox'], { home: alice.home })
    expect(withCarol.conversations.find(c => c.peer === carol.info.peerId)).toMatchObject({ contact: false, unread: 1, last: { text: 'hi from carol' } })
    expect(withCarol.conversations.find(c => c.peer === carol.info.peerId)?.name).toBeUndefined()

    // a message in another conversation while this one is open: a one-line notice, and /open switches
    await h.json(['send', 'alice', 'second from carol'], { home: carol.home })
    await chat.waitFor(`: second from carol  (/open ${carol.info.peerId})`)
    chat.write(`/open ${carol.info.peerId}\r`)
    await chat.waitFor(`chatting with ${carol.info.peerId.slice(0, 10)}`)
    await chat.waitFor(/: second from carol/)
    chat.write('/quit\r')
    expect(await chat.exited).toBe(0)
  })
})
