import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ChatKeys, NEWLINE_MARK } from '../../cli/chat/keys.js'
import { passphraseWeakness } from '../../cli/passphrase-strength.js'
import { didYouMean } from '../../cli/suggest.js'
import { formatBanner } from '../../node/banner.js'

async function feed (chunks: string[]): Promise<{ text: string, events: string[] }> {
  const tty = new PassThrough()
  const keys = new ChatKeys(tty)
  const events: string[] = []
  keys.on('focus', (f: boolean) => events.push(f ? 'focus-in' : 'focus-out'))
  keys.on('page', (d: string) => events.push(`page-${d}`))
  let text = ''
  keys.on('data', (d: Buffer) => { text += d.toString() })
  for (const c of chunks) {
    keys.write(c)
  }
  keys.end()
  await new Promise(resolve => keys.on('end', resolve))
  return { text, events }
}

describe('chat keys', () => {
  it('keeps a bracketed paste in one line, even when a chunk cuts its markers', async () => {
    const { text } = await feed(['a\u001b[20', '0~one\r\ntwo\nthree\u001b[2', '01~b'])
    expect(text).toBe(`aone${NEWLINE_MARK}two${NEWLINE_MARK}threeb`)
  })

  it('drops control characters inside a paste (a pasted Ctrl-C is not a key)', async () => {
    const { text } = await feed(['\u001b[200~x\u0003y\u001b[31mz\u001b[201~'])
    expect(text).toBe('xy[31mz')
  })

  it('turns Alt+Enter into a newline and reports focus and PgUp/PgDn, passing other keys through', async () => {
    const { text, events } = await feed(['hi\u001b\rthere\u001b[O\u001b[I\u001b[5~\u001b[6~\u001b[A'])
    expect(text).toBe(`hi${NEWLINE_MARK}there\u001b[A`)
    expect(events).toEqual(['focus-out', 'focus-in', 'page-up', 'page-down'])
  })
})

describe('did you mean', () => {
  it('finds typos and unique prefixes, and nothing for unrelated words', () => {
    expect(didYouMean('stauts', ['status', 'history', 'quit'])).toBe('status')
    expect(didYouMean('hist', ['status', 'history', 'quit'])).toBe('history')
    expect(didYouMean('banana', ['status', 'history', 'quit'])).toBeUndefined()
  })
})

describe('passphrase strength', () => {
  it('warns on common, short and guessable passphrases only', () => {
    expect(passphraseWeakness('password1')).toMatch(/most common/)
    expect(passphraseWeakness('Tr0ub4dor&3')).toMatch(/only 11 characters/)
    expect(passphraseWeakness('aaaaaaaaaaaaaaaa')).toMatch(/easy to guess/)
    expect(passphraseWeakness('correct horse battery staple orbit')).toBeUndefined()
  })
})

describe('banner', () => {
  const base = {
    peerId: '12D3KooWExample', addresses: [], api: { transport: 'unix', path: '/h/api.sock', pid: 1 } as const,
    home: '/h', created: true, newIdentity: true, encrypted: false, rendezvousDir: '/r'
  }
  it('says when it listens on all interfaces and announces itself by mDNS, and how to change both', () => {
    const text = formatBanner({ ...base, mdns: true, listen: ['/ip4/0.0.0.0/tcp/4001'] })
    expect(text).toContain('listening on all interfaces')
    expect(text).toContain('natter config set listen /ip4/127.0.0.1/tcp/4001')
    expect(text).toContain('natter config set mdns off')
  })
  it('says nothing of the sort on loopback without mDNS, and gives the exact command when natter is not on PATH', () => {
    const text = formatBanner({ ...base, mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], command: 'node /x/dist/cli/index.js', linkDir: '/x' })
    expect(text).not.toContain('all interfaces')
    expect(text).not.toContain('mdns off')
    expect(text).toContain('run `npm link` in /x')
    expect(text).toContain('node /x/dist/cli/index.js id')
  })
})
