import { afterEach, describe, expect, it } from 'vitest'
import { eventually, harness } from './helpers.js'
import type { MessageView, PresenceView } from '../../node/api/contract/index.js'


describe('natter chat in a terminal', () => {
  const h = harness()
  afterEach(async () => { await h.cleanup() })

  it('shows history and incoming messages above the prompt, sends what is typed, sets status', async () => {
    const [alice, bob] = await Promise.all([h.startDaemon(), h.startDaemon()])
    const [aliceId, bobId] = await Promise.all([
      h.json<{ invite: string }>(['id'], { home: alice.home }),
      h.json<{ invite: string }>(['id'], { home: bob.home })
    ])
    await h.json(['contacts', 'add', 'bob', bobId.invite], { home: alice.home })
    await h.json(['contacts', 'add', 'alice', aliceId.invite], { home: bob.home })
    await h.json(['send', 'alice', 'earlier message'], { home: bob.home })

    const chat = await h.pty(['chat', 'bob'], { home: alice.home })
    await chat.waitFor('chatting with bob')
    await chat.waitFor(/bob: earlier message/)
    await chat.waitFor('> ')

    // type half a line, then a message arrives: it shows, and the half line survives
    chat.write('hello fr')
    await chat.waitFor('> hello fr')
    await h.json(['send', 'alice', 'hi from bob'], { home: bob.home })
    await chat.waitFor(/bob: hi from bob[\s\S]*> hello fr/)
    chat.write('om chat\r')
    await chat.waitFor(/me: hello from chat/)

    await eventually(async () => {
      const history = await h.json<{ messages: MessageView[] }>(['history', 'alice'], { home: bob.home })
      return history.messages.some(m => m.direction === 'in' && m.text === 'hello from chat')
    }, 15_000, 'bob has the message typed in chat')

    chat.write('/status away at lunch\r')
    await chat.waitFor(/you are away — at lunch/)
    await eventually(async () => {
      const p = await h.json<{ peers: PresenceView[] }>(['presence'], { home: bob.home })
      return p.peers.some(x => x.peerId === alice.info.peerId && x.status === 'away' && x.note === 'at lunch')
    }, 20_000, 'bob sees alice away')

    chat.write('/quit\r')
    expect(await chat.exited).toBe(0)
  })

  it('without a terminal, sends stdin lines and prints the transcript with --json', async () => {
    const [alice, bob] = await Promise.all([h.startDaemon({ args: ['--log-level', 'debug'] }), h.startDaemon()])
    const bobId = await h.json<{ invite: string }>(['id'], { home: bob.home })
    await h.json(['contacts', 'add', 'bob', bobId.invite], { home: alice.home })
    const transcript = await h.json<{ peer: string, messages: MessageView[] }>(['chat', 'bob'], { home: alice.home, input: 'one\ntwo\n' })
    expect(transcript.peer).toBe(bob.info.peerId)
    expect(transcript.messages.map(m => [m.direction, m.text])).toEqual([['out', 'one'], ['out', 'two']])
    await eventually(async () => {
      const r = await h.json<{ requests: Array<{ peer: string, count: number }> }>(['requests'], { home: bob.home })
      return r.requests.some(x => x.peer === alice.info.peerId && x.count === 2)
    }, 30_000, 'bob has a request from alice').catch(err => {
      console.log(alice.stderr().split('\n').filter(l => /messenger|sessions/.test(l)).join('\n'))
      throw err
    })
    await h.json(['requests', 'accept', alice.info.peerId], { home: bob.home })
    const history = await h.json<{ messages: MessageView[] }>(['history', alice.info.peerId], { home: bob.home })
    expect(history.messages.map(m => m.text)).toEqual(['one', 'two'])
  })
})
