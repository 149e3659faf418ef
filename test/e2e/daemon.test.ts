import { spawn } from 'node:child_process'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { harness } from './helpers.js'

async function exists (path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false)
}

/** The pid of a process that has exited. */
async function deadPid (): Promise<number> {
  const p = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise(resolve => p.once('exit', resolve))
  return p.pid!
}

describe('natter daemon', () => {
  const h = harness()
  afterEach(async () => { await h.cleanup() })

  it('creates its home on first run: config, token and socket private to the user', async () => {
    const d = await h.startDaemon()
    expect(d.info.created).toBe(true)
    expect(d.info.peerId).toMatch(/^12D3KooW/)
    expect(d.info.addresses.every(a => a.startsWith('/ip4/127.0.0.1/tcp/'))).toBe(true)
    expect(d.info.api).toMatchObject({ transport: 'unix', path: join(d.home, 'api.sock') })

    const config = JSON.parse(await readFile(join(d.home, 'config.json'), 'utf8'))
    // the first run's flags (--listen, --no-mdns from the harness) are kept in the config it creates
    expect(config).toMatchObject({ mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], api: 'api.sock' })
    expect((await stat(join(d.home, 'api.token'))).mode & 0o777).toBe(0o600)
    expect((await readFile(join(d.home, 'api.token'), 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/)
    expect((await stat(join(d.home, 'api.sock'))).mode & 0o777).toBe(0o600)
    expect((await readFile(join(d.home, 'daemon.lock'), 'utf8')).split('\n')[0]).toBe(String(d.proc.pid))

    const id = await h.json<{ peerId: string, invite: string }>(['id'], { home: d.home })
    expect(id.peerId).toBe(d.info.peerId)
    expect(id.invite).toMatch(/^natter:/)
  })

  it('refuses a second daemon on the same home, naming the running pid', async () => {
    const d = await h.startDaemon()
    const second = await h.natter(['daemon', '--no-mdns', '--network', 'local', '--listen', '/ip4/127.0.0.1/tcp/0'], { home: d.home })
    expect(second.code).toBe(7)
    expect(second.stderr.trim().split('\n')).toHaveLength(1)
    expect(second.stderr).toContain(`pid ${d.proc.pid!}`)
    // the first one is unharmed
    expect((await h.json<{ peerId: string }>(['id'], { home: d.home })).peerId).toBe(d.info.peerId)
  })

  it('recovers a stale lock and socket left by a killed daemon', async () => {
    const d = await h.startDaemon()
    d.proc.kill('SIGKILL')
    await d.exited
    expect(await exists(join(d.home, 'daemon.lock'))).toBe(true)
    expect(await exists(join(d.home, 'api.sock'))).toBe(true)

    const r = await h.natter(['id'], { home: d.home })
    expect(r.code).toBe(3)

    const again = await h.startDaemon({ home: d.home })
    expect(again.info.peerId).toBe(d.info.peerId)
    expect(again.info.created).toBe(false)
    expect((await h.json<{ pid: number }>(['id'], { home: d.home })).pid).toBe(again.proc.pid)
  })

  it('recovers a lock file whose pid is not alive', async () => {
    const home = await h.tempDir()
    await writeFile(join(home, 'daemon.lock'), `${await deadPid()}\n`)
    const d = await h.startDaemon({ home })
    expect((await readFile(join(home, 'daemon.lock'), 'utf8')).split('\n')[0]).toBe(String(d.proc.pid))
  })

  it('stops cleanly on `natter stop`: exit 0, socket, lock and rendezvous entry removed', async () => {
    const d = await h.startDaemon()
    const rdv = join(await h.rendezvousDir(), `${d.info.peerId}.json`)
    expect(await exists(rdv)).toBe(true)
    const r = await h.natter(['stop', '--json'], { home: d.home })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ stopped: true, pid: d.proc.pid })
    expect(await d.exited).toBe(0)
    for (const f of ['api.sock', 'daemon.lock', 'api.json']) {
      expect(await exists(join(d.home, f)), f).toBe(false)
    }
    expect(await exists(rdv)).toBe(false)
    expect((await h.natter(['id'], { home: d.home })).code).toBe(3)
  })

  it('stops cleanly on SIGTERM and SIGINT', async () => {
    await Promise.all((['SIGTERM', 'SIGINT'] as const).map(async signal => {
      const d = await h.startDaemon()
      d.proc.kill(signal)
      expect(await d.exited, signal).toBe(0)
      expect(await exists(join(d.home, 'daemon.lock')), signal).toBe(false)
      expect(await exists(join(d.home, 'api.sock')), signal).toBe(false)
    }))
  })

  it('names the bad field of config.json', async () => {
    const home = await h.tempDir()
    await writeFile(join(home, 'config.json'), JSON.stringify({ listen: ['/ip4/127.0.0.1/tcp/0', 'localhost:4001'] }))
    const r = await h.natter(['daemon', '--no-mdns'], { home })
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe('natter: config.json: listen[1]: not a multiaddr')

    await writeFile(join(home, 'config.json'), JSON.stringify({ mdns: false, colour: 'blue' }))
    const unknown = await h.natter(['daemon'], { home })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('config.json: unknown field "colour"')
    expect(await exists(join(home, 'daemon.lock'))).toBe(false)
  })

  it('refuses a control API on a non-loopback address, and serves one on loopback TCP', async () => {
    const home = await h.tempDir()
    const refused = await h.natter(['daemon', '--no-mdns', '--api', '0.0.0.0:5050'], { home })
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/--api.*not a loopback address/)

    const d = await h.startDaemon({ home, args: ['--api', '127.0.0.1:0'] })
    expect(d.info.api).toMatchObject({ transport: 'tcp', host: '127.0.0.1' })
    expect(await exists(join(home, 'api.sock'))).toBe(false)
    expect((await h.json<{ peerId: string }>(['id'], { home })).peerId).toBe(d.info.peerId)
  })

  it('refuses requests without the bearer token (401)', async () => {
    const d = await h.startDaemon()
    const socket = join(d.home, 'api.sock')
    const raw = async (headers: string): Promise<string> => new Promise((resolve, reject) => {
      const s = connect(socket)
      let out = ''
      s.setEncoding('utf8').on('data', (c: string) => { out += c }).on('end', () => { resolve(out) }).on('error', reject)
      s.end(`GET /v1/id HTTP/1.1\r\nHost: natter\r\nConnection: close\r\n${headers}\r\n`)
    })
    for (const headers of ['', 'Authorization: Bearer 0000\r\n', `Authorization: Basic ${Buffer.from('a:b').toString('base64')}\r\n`]) {
      const reply = await raw(headers)
      expect(reply).toMatch(/^HTTP\/1\.1 401 /)
      expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { name: 'UnauthorizedError' } })
    }
    const token = (await readFile(join(d.home, 'api.token'), 'utf8')).trim()
    expect(await raw(`Authorization: Bearer ${token}\r\n`)).toMatch(/^HTTP\/1\.1 200 /)
  })
})
