/**
 * End-to-end fixtures: real daemons and the real `natter` binary (the built
 * `dist/cli/index.js`), each daemon in its own temporary home, listening on
 * loopback only, with mDNS off and an isolated rendezvous directory, so tests
 * send no traffic off this machine and never meet daemons outside the test.
 *
 * `harness()` tracks everything it starts; call `cleanup()` in `afterEach`:
 * it kills whatever still runs and removes the temporary directories.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import pWaitFor from 'p-wait-for'
import { watchDaemon } from '../helpers/daemon-banner.js'
import type { ChildProcess } from 'node:child_process'
import type { IncomingMessage } from 'node:http'
import type { IPty } from 'node-pty'

/** The built CLI entry. */
export const BIN = fileURLToPath(new URL('../../dist/cli/index.js', import.meta.url))

/** What a finished command left behind. */
export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** What a daemon's `--json` banner says. */
export interface DaemonInfo {
  peerId: string
  addresses: string[]
  api: { transport: 'unix', path: string, pid: number } | { transport: 'tcp', host: string, port: number, pid: number }
  home: string
  pid: number
  /** Whether this start created config.json. */
  created: boolean
  /** Whether this start created the identity key. */
  newIdentity: boolean
  /** Whether the identity key file is encrypted. */
  encrypted: boolean
}

/** A running daemon. */
export interface DaemonHandle {
  home: string
  info: DaemonInfo
  proc: ChildProcess
  /** Everything it wrote to stderr so far. */
  stderr(): string
  /** Resolves with the exit code once it exited. */
  exited: Promise<number | null>
}

/** An interactive command in a pseudo-terminal. */
export interface PtyHandle {
  pty: IPty
  /** Everything shown so far, without ANSI escapes. */
  output(): string
  /** Everything the program wrote so far, exactly (escapes included). */
  raw(): string
  /** Waits until the screen output matches. */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<void>
  write(data: string): void
  exited: Promise<number>
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007|\u001b[78]/g

/** Removes terminal escape sequences. */
export function stripAnsi (text: string): string {
  return text.replace(ANSI, '')
}

/** Creates the fixture set for one test file. */
export function harness () {
  const procs: ChildProcess[] = []
  const ptys: IPty[] = []
  const dirs: string[] = []
  let rendezvous: Promise<string> | undefined

  const tempDir = async (prefix = 'natter-e2e-'): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    dirs.push(dir)
    return dir
  }

  /** The isolated rendezvous directory shared by this test's daemons. */
  const rendezvousDir = async (): Promise<string> => {
    // the promise, not the path, is kept: daemons started together must share one directory
    rendezvous ??= tempDir('natter-rdv-')
    return rendezvous
  }

  const env = async (extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> => {
    const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', NATTER_RENDEZVOUS_DIR: await rendezvousDir() }
    delete base.NATTER_HOME
    delete base.NATTER_PASSPHRASE
    delete base.DEBUG
    return { ...base, ...extra }
  }

  return {
    tempDir,
    rendezvousDir,
    env,

    /**
     * Starts `natter daemon` on a (new) home and waits for its banner.
     * Always loopback-only with mDNS off; `args` come after those.
     */
    async startDaemon (options: { home?: string, args?: string[], env?: NodeJS.ProcessEnv } = {}): Promise<DaemonHandle> {
      const home = options.home ?? await tempDir()
      const proc = spawn(process.execPath, [
        BIN, '--home', home, 'daemon', '--json', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--network', 'local', ...(options.args ?? [])
      ], { env: await env(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
      procs.push(proc)
      const { banner: info, stderr, exited } = await watchDaemon<DaemonInfo>(proc)
      return { home, info, proc, stderr, exited }
    },

    /** Runs the `natter` binary to completion. */
    async natter (args: string[], options: { home?: string, input?: string, env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
      const argv = options.home == null ? args : ['--home', options.home, ...args]
      const proc = spawn(process.execPath, [BIN, ...argv], { env: await env(options.env), stdio: ['pipe', 'pipe', 'pipe'] })
      procs.push(proc)
      let stdout = ''
      let stderr = ''
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d })
      proc.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
      proc.stdin!.end(options.input ?? '')
      const code = await new Promise<number | null>(resolve => { proc.once('close', (c) => { resolve(c) }) })
      return { code, stdout, stderr }
    },

    /** Runs `natter --json …` and parses its one JSON document; fails on a non-zero exit. */
    async json<T = Record<string, unknown>> (args: string[], options: { home?: string, input?: string } = {}): Promise<T> {
      const r = await this.natter([...args, '--json'], options)
      if (r.code !== 0) {
        throw new Error(`natter ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
      }
      return JSON.parse(r.stdout) as T
    },

    /** Runs `natter` in a pseudo-terminal (a real TTY: prompt, line editing). */
    async pty (args: string[], options: { home?: string } = {}): Promise<PtyHandle> {
      const { spawn: spawnPty } = await import('node-pty')
      const argv = options.home == null ? args : ['--home', options.home, ...args]
      const pty = spawnPty(process.execPath, [BIN, ...argv], {
        name: 'xterm-256color',
        cols: 120,
        rows: 40,
        env: await env() as Record<string, string>
      })
      ptys.push(pty)
      let out = ''
      const watchers = new Set<() => void>()
      pty.onData(d => {
        out += d
        for (const check of watchers) {
          check()
        }
      })
      const exited = new Promise<number>(resolve => { pty.onExit(e => { resolve(e.exitCode) }) })
      return {
        pty,
        output: () => stripAnsi(out),
        raw: () => out,
        // woken by the terminal's output, not by polling
        async waitFor (pattern, timeoutMs = 15_000) {
          const matches = (): boolean => typeof pattern === 'string' ? stripAnsi(out).includes(pattern) : pattern.test(stripAnsi(out))
          if (matches()) {
            return
          }
          await new Promise<void>((resolve, reject) => {
            const check = (): void => {
              if (matches()) {
                watchers.delete(check)
                clearTimeout(timer)
                resolve()
              }
            }
            const timer = setTimeout(() => {
              watchers.delete(check)
              reject(new Error(`timed out waiting for ${String(pattern)} in:\n${stripAnsi(out)}`))
            }, timeoutMs)
            watchers.add(check)
          })
        },
        write: (data) => { pty.write(data) },
        exited
      }
    },

    /** Kills everything still running and removes the temporary directories. */
    async cleanup (): Promise<void> {
      for (const pty of ptys.splice(0)) {
        try {
          pty.kill()
        } catch {
          // already gone
        }
      }
      await Promise.all(procs.splice(0).map(async proc => {
        if (proc.exitCode != null || proc.signalCode != null) {
          return
        }
        // clean shutdown has its own tests; here only speed matters
        const gone = new Promise<void>(resolve => { proc.once('exit', () => { resolve() }) })
        proc.kill('SIGKILL')
        await gone
      }))
      await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
      rendezvous = undefined
    }
  }
}

/** A raw HTTP request to a daemon's control API socket (for auth tests). */
export async function rawRequest (socketPath: string, options: { method?: string, path: string, headers?: Record<string, string>, body?: string }): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: options.method ?? 'GET', path: options.path, headers: options.headers }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d }).on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/**
 * Waits for a condition that can only be polled (another daemon's state seen
 * through the CLI). No timeout signal is handed to p-wait-for: its sleep adds
 * an abort listener per round and never removes it.
 */
export async function eventually (condition: () => Promise<boolean> | boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)) }, timeoutMs)
  })
  let done = false
  try {
    await Promise.race([pWaitFor(async () => done || await condition(), { interval: 150 }), timeout])
  } finally {
    done = true
    clearTimeout(timer)
  }
}

/**
 * Subscribes to a daemon's `/v1/events` with its token and collects the
 * events (parsed, untyped beyond `type`) once `ready` has arrived. Destroy
 * `res` when done (the harness's cleanup kills the daemon anyway).
 */
export async function subscribe<E extends { type: string }> (daemon: DaemonHandle): Promise<{ events: E[], res: IncomingMessage }> {
  const token = (await readFile(join(daemon.home, 'api.token'), 'utf8')).trim()
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    request({ socketPath: join(daemon.home, 'api.sock'), path: '/v1/events', headers: { authorization: `Bearer ${token}` } }, resolve)
      .on('error', reject).end()
  })
  const events: E[] = []
  createInterface({ input: res }).on('line', line => { events.push(JSON.parse(line) as E) })
  await eventually(() => events.some(e => e.type === 'ready'), 5_000, 'the ready event')
  return { events, res }
}
