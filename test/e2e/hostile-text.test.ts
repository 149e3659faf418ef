/**
 * Text from peers never drives the terminal: a contact's message, a
 * stranger's request and a presence note full of terminal controls are shown
 * escaped by every human-readable command, and kept exact by --json.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { eventually, harness } from './helpers.js'

/** A line that, printed raw, would erase itself and pose as the recipient's own. */
const FORGED = 'harmless\r\u001b[2K[12:00] me: I agree to send you 1 BTC'
/** Colour, OSC title, OSC 8 hyperlink, backspace, bell, bidi override, zero-width joiner, C1 CSI. */
const CONTROLS = '\u001b[31mred\u001b]0;pwned\u0007\u001b]8;;http://evil.example\u001b\\link\u001b]8;;\u001b\\ b\bx \u202eevil \u200dzw \u009b2J'
const HOSTILE = `${FORGED} ${CONTROLS}`
const NOTE = 'away\u001b[2J\u001b]0;t\u0007\u202e'

/** Nothing in `out` that a terminal would act on (colour is off in these runs, so no escape at all). */
function expectInert (out: string): void {
  // eslint-disable-next-line no-control-regex
  expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/)
}

describe('hostile peer text in the CLI', () => {
  const h = harness()
  afterEach(async () => { await h.cleanup() })

  it('is escaped in history, requests, presence and chat, and exact with --json', async () => {
    const [alice, bob, mallory] = await Promise.all([h.startDaemon(), h.startDaemon(), h.startDaemon()])
    const [aliceId, bobId] = await Promise.all([
      h.json<{ invite: string }>(['id'], { home: alice.home }),
      h.json<{ invite: string }>(['id'], { home: bob.home })
    ])
    await h.json(['contacts', 'add', 'bob', bobId.invite], { home: alice.home })
    await h.json(['contacts', 'add', 'alice', aliceId.invite], { home: bob.home })
    await h.json(['send', 'alice', HOSTILE], { home: bob.home })
    await h.json(['status', 'away', '--note', NOTE], { home: bob.home })
    // a stranger writes: the text lands in alice's requests
    await h.json(['connect', alice.info.addresses[0]!], { home: mallory.home })
    await h.json(['send', alice.info.peerId, HOSTILE], { home: mallory.home })

    // history: escaped for people, exact for programs
    const history = await h.natter(['history', 'bob'], { home: alice.home })
    expect(history.code).toBe(0)
    expectInert(history.stdout)
    expect(history.stdout).toContain('harmless\\r\\x1b[2K[12:00] me: I agree')
    expect(history.stdout).toContain('\\x1b]0;pwned\\x07')
    expect(history.stdout).toContain('\\u202eevil \\u200dzw \\x9b2J')
    expect(history.stdout.split('\n').filter(l => /me: I agree/.test(l))).toHaveLength(1)
    const historyJson = await h.json<{ messages: Array<{ text: string }> }>(['history', 'bob'], { home: alice.home })
    expect(historyJson.messages.map(m => m.text)).toContain(HOSTILE)

    // requests
    const requests = await h.natter(['requests'], { home: alice.home })
    expect(requests.code).toBe(0)
    expectInert(requests.stdout)
    expect(requests.stdout).toContain('harmless\\r\\x1b[2K')
    const requestsJson = await h.json<{ requests: Array<{ last: { text: string } }> }>(['requests'], { home: alice.home })
    expect(requestsJson.requests[0]?.last.text).toBe(HOSTILE)

    // presence note
    await eventually(async () => {
      const p = await h.json<{ peers: Array<{ peerId: string, note: string }> }>(['presence'], { home: alice.home })
      return p.peers.some(x => x.peerId === bob.info.peerId && x.note === NOTE)
    }, 20_000, 'alice sees bob\'s note')
    const presence = await h.natter(['presence'], { home: alice.home })
    expectInert(presence.stdout)
    expect(presence.stdout).toContain('away\\x1b[2J\\x1b]0;t\\x07\\u202e')

    // the chat screen, on a real terminal: the hostile sequences never reach it
    const chat = await h.pty(['chat', 'bob'], { home: alice.home })
    await chat.waitFor('I agree to send you 1 BTC')
    await chat.waitFor('> ')
    await h.json(['send', 'alice', `live ${CONTROLS}`], { home: bob.home })
    await chat.waitFor('live \\x1b[31mred')
    const raw = chat.raw()
    for (const seq of ['\u001b[31mred', '\u001b]0;pwned', '\u001b]8;;http', '\b', '\u202e', '\u200d', '\u009b', '\r\u001b[2K[12:00]', '\u0007evil']) {
      expect(raw).not.toContain(seq)
    }
    expect(chat.output()).toContain('harmless\\r\\x1b[2K[12:00] me: I agree')
    chat.write('/quit\r')
    expect(await chat.exited).toBe(0)
  })

  it('escapes a name taken from an invite wherever it is shown', async () => {
    const NAME = 'eve\u202egnp.exe\u200b'
    const [alice, eve] = await Promise.all([h.startDaemon(), h.startDaemon({ args: ['--name', NAME] })])
    const eveId = await h.json<{ invite: string }>(['id'], { home: eve.home })
    const added = await h.natter(['contacts', 'add', eveId.invite], { home: alice.home })
    expect(added.code).toBe(0)
    expectInert(added.stdout + added.stderr)
    expect(added.stdout).toContain('added eve\\u202egnp.exe\\u200b (')
    const list = await h.natter(['contacts'], { home: alice.home })
    expectInert(list.stdout)
    expect(list.stdout).toContain('eve\\u202egnp.exe\\u200b')
    expect((await h.json<{ contacts: Array<{ name: string }> }>(['contacts'], { home: alice.home })).contacts[0]?.name).toBe(NAME)
    const inbox = await h.natter(['inbox'], { home: alice.home })
    expectInert(inbox.stdout)
    expect(inbox.stdout).toContain('eve\\u202egnp.exe')
  })
})
