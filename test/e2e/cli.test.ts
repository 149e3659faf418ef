import { afterEach, describe, expect, it } from 'vitest'
import { harness } from './helpers.js'

describe('natter CLI without a daemon, and argument errors', () => {
  const h = harness()
  afterEach(async () => { await h.cleanup() })

  it('says in one line that no daemon runs, and exits 3', async () => {
    const home = await h.tempDir()
    for (const args of [['id'], ['send', 'bob', 'hi'], ['contacts', 'list'], ['presence', '--json']]) {
      const r = await h.natter(args, { home })
      expect(r.code, args.join(' ')).toBe(3)
      const lines = r.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/no natter daemon is running for .*natter daemon.*npm start/)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
  })

  it('with --json, an error is still one JSON document on stdout', async () => {
    const r = await h.natter(['peers', '--json'], { home: await h.tempDir() })
    expect(r.code).toBe(3)
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { name: 'DaemonNotRunningError', exitCode: 3 } })
  })

  it('exits 2 on bad arguments', async () => {
    const home = await h.tempDir()
    const cases = [
      ['frobnicate'],
      ['send'],
      ['history', 'bob', '--limit', 'lots'],
      ['status', 'sleeping'],
      ['id', '--bogus'],
      []
    ]
    for (const args of cases) {
      const r = await h.natter(args, { home })
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
  })

  it('has --help with examples for every command, and exit codes at the top', async () => {
    const top = await h.natter(['--help'])
    expect(top.code).toBe(0)
    expect(top.stdout).toContain('Exit codes:')
    const commands = ['daemon', 'id', 'contacts', 'send', 'chat', 'history', 'status', 'presence', 'peers', 'ping', 'stop', 'requests', 'block', 'unblock', 'verify', 'passphrase']
    const helps = await Promise.all(commands.map(async c => ({ c, r: await h.natter([c, '--help']) })))
    for (const { c, r } of helps) {
      expect(r.code, c).toBe(0)
      expect(r.stdout, c).toContain('Examples:')
      expect(r.stdout, c).toContain('--json')
    }
  })
})
