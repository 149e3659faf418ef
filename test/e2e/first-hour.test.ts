/**
 * The first hour: what a new user meets running the README's commands.
 */
import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BIN, harness } from './helpers.js'

describe('the first hour', () => {
  const h = harness()
  afterEach(async () => { await h.cleanup() })

  it('keeps the first run\'s flags in the config it creates, and natter config reads and changes it', async () => {
    const alice = await h.startDaemon({ args: ['--name', 'alice'] })
    const file = JSON.parse(await readFile(join(alice.home, 'config.json'), 'utf8')) as Record<string, unknown>
    expect(file).toMatchObject({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, name: 'alice', readReceipts: false, notify: 'bell' })

    const shown = await h.natter(['config'], { home: alice.home })
    expect(shown.stdout).toMatch(/^mdns\s+off$/m)
    expect(shown.stdout).toMatch(/^read-receipts\s+off$/m)
    const set = await h.natter(['config', 'set', 'mdns', 'on'], { home: alice.home })
    expect(set.code).toBe(0)
    expect(set.stderr).toContain('takes effect when the daemon starts again')
    const bad = await h.natter(['config', 'set', 'notify', 'loud', '--json'], { home: alice.home })
    expect(bad.code).toBe(2)
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { name: 'ConfigError', exitCode: 2 } })
    expect((await h.json<{ notify: string }>(['config', 'get', 'notify'], { home: alice.home })).notify).toBe('bell')
    // the network settings (issue 12) are settings like the others: shown, validated, applied at the next start
    const network = await h.natter(['config', 'set', 'network', 'internet'], { home: alice.home })
    expect(network.code).toBe(0)
    expect(network.stderr).toContain('takes effect when the daemon starts again')
    expect((await h.natter(['config', 'set', 'network', 'moon'], { home: alice.home })).code).toBe(2)
    expect((await h.natter(['config', 'set', 'upnp', 'off'], { home: alice.home })).code).toBe(0)
    expect(await h.json<{ upnp: boolean, relayServer: boolean, network: string }>(['config', 'get', 'upnp'], { home: alice.home })).toMatchObject({ upnp: false })
    expect(JSON.parse(await readFile(join(alice.home, 'config.json'), 'utf8'))).toMatchObject({ network: 'internet', upnp: false })

    // without a daemon, the file is changed directly
    await h.natter(['stop'], { home: alice.home })
    await alice.exited
    expect((await h.natter(['config', 'set', 'read-receipts', 'on'], { home: alice.home })).code).toBe(0)
    expect(JSON.parse(await readFile(join(alice.home, 'config.json'), 'utf8'))).toMatchObject({ readReceipts: true, mdns: true, name: 'alice' })
  })

  it('adds a contact under the name its invite suggests, and explains a pasted invite without its prefix', async () => {
    const [alice, bob, mallory] = await Promise.all([h.startDaemon({ args: ['--name', 'alice'] }), h.startDaemon({ args: ['--name', 'bob'] }), h.startDaemon({ args: ['--name', 'bob'] })])
    const bobId = await h.json<{ invite: string }>(['id'], { home: bob.home })

    const noPrefix = await h.natter(['contacts', 'add', 'bob', bobId.invite.slice('natter:'.length)], { home: alice.home })
    expect(noPrefix.code).toBe(2)
    expect(noPrefix.stderr).toContain('looks like an invite without its "natter:" prefix')

    const added = await h.natter(['contacts', 'add', bobId.invite], { home: alice.home })
    expect(added.code).toBe(0)
    expect(added.stdout).toContain(`added bob (${bob.info.peerId})`)

    // another invite suggesting "bob" does not pose as bob's key change: it is refused
    const malloryId = await h.json<{ invite: string }>(['id'], { home: mallory.home })
    const clash = await h.natter(['contacts', 'add', malloryId.invite], { home: alice.home })
    expect(clash.code).toBe(7)
    expect(clash.stderr).toContain('already your contact')
    const contacts = await h.json<{ contacts: Array<{ name: string, keyChanged: boolean }> }>(['contacts'], { home: alice.home })
    expect(contacts.contacts).toEqual([expect.objectContaining({ name: 'bob', keyChanged: false })])

    // `natter id`: the invite is the last thing printed, after the QR code
    const id = await h.natter(['id'], { home: alice.home })
    const lines = id.stdout.trimEnd().split('\n')
    expect(lines.at(-1)).toMatch(/^natter:[A-Za-z0-9_-]+$/)
    expect(lines.findIndex(l => /[▀▄█]/.test(l))).toBeLessThan(lines.length - 2)
  })

  it('prints one JSON document for usage errors, suggests commands, exits quietly into | head, pings in fractions of a ms, warns on weak passphrases', async () => {
    const [alice, bob] = await Promise.all([h.startDaemon(), h.startDaemon({ args: ['--name', 'bob'] })])
    const bobId = await h.json<{ invite: string }>(['id'], { home: bob.home })
    await h.json(['contacts', 'add', bobId.invite], { home: alice.home })

    const typo = await h.natter(['stauts', '--json'], { home: alice.home })
    expect(typo.code).toBe(2)
    expect(JSON.parse(typo.stdout)).toMatchObject({ error: { name: 'UsageError', exitCode: 2 } })
    expect(typo.stdout).toContain('Did you mean status?')
    const sub = await h.natter(['contacts', 'lst'], { home: alice.home })
    expect(sub.code).toBe(2)
    expect(sub.stderr).toContain('did you mean list?')

    // more output than a pipe holds, read by `head -1`: no EPIPE stack trace
    for (let i = 0; i < 10; i++) {
      await h.json(['send', 'bob', `${i} ${'x'.repeat(15_000)}`, '--no-wait'], { home: alice.home })
    }
    const piped = await new Promise<{ stderr: string, status: string }>((resolve) => {
      const sh = spawn('bash', ['-c', `"${process.execPath}" "${BIN}" --home "${alice.home}" history bob | head -c 20 >/dev/null; echo "\${PIPESTATUS[0]}"`], { env: { ...process.env, NO_COLOR: '1' } })
      let stderr = ''
      let status = ''
      sh.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
      sh.stdout.setEncoding('utf8').on('data', (d: string) => { status += d })
      sh.on('close', () => { resolve({ stderr, status: status.trim() }) })
    })
    expect(piped.stderr).toBe('')
    expect(piped.status).toBe('0')

    const ping = await h.natter(['ping', 'bob'], { home: alice.home })
    expect(ping.stdout).toMatch(/^pong from bob in \d+\.\d+ ms$/m)
    const rtt = (await h.json<{ rttMs: number }>(['ping', 'bob'], { home: alice.home })).rttMs
    expect(rtt).toBeGreaterThan(0)
    // timed with a sub-millisecond clock (whole milliseconds read 0 on loopback)
    expect(Number.isInteger(rtt)).toBe(false)

    const weak = join(await h.tempDir(), 'weak.txt')
    await writeFile(weak, 'password1\n')
    const exported = await h.natter(['id', 'export', '--out', join(await h.tempDir(), 'me.backup'), '--passphrase-file', weak], { home: alice.home })
    expect(exported.code).toBe(0)
    expect(exported.stderr).toContain('warning: this backup passphrase is weak: it is one of the most common passphrases')
    const strong = join(await h.tempDir(), 'strong.txt')
    await writeFile(strong, 'correct horse battery staple orbit\n')
    const fine = await h.natter(['id', 'export', '--out', join(await h.tempDir(), 'me2.backup'), '--passphrase-file', strong], { home: alice.home })
    expect(fine.code).toBe(0)
    expect(fine.stderr).not.toContain('weak')
  })
})
