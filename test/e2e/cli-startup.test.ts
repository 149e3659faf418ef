/**
 * CLI start-up: a command loads only what it runs. The built CLI is run with
 * a module-resolution hook (node:module `register`) that records every
 * module resolved; the tests assert on what is NOT loaded (libp2p, the
 * library's index, zod for help), never on time. They also check that every
 * command, loaded lazily, still registers and answers `--help`, and that
 * the bundled and the unbundled CLI behave the same.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMMAND_NAMES, invokedCommand } from '../../cli/main.js'
import { BIN, harness } from './helpers.js'

const BUNDLE = fileURLToPath(new URL('../../dist/cli/natter.bundle.js', import.meta.url))

let dir: string
let hookUrl: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'natter-startup-'))
  // resolve hook (runs on the loader thread): appends each resolved URL to $NATTER_TEST_RESOLVED
  const hooks = join(dir, 'hooks.mjs')
  await writeFile(hooks, `import { appendFileSync } from 'node:fs'
export async function resolve (specifier, context, next) {
  const r = await next(specifier, context)
  appendFileSync(process.env.NATTER_TEST_RESOLVED, r.url + '\\n')
  return r
}
`)
  const register = join(dir, 'register.mjs')
  await writeFile(register, `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`)
  hookUrl = pathToFileURL(register).href
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Runs the CLI with the hook; its exit code, output and the modules it resolved. */
async function run (args: string[], env: NodeJS.ProcessEnv = {}, home = join(dir, 'home')): Promise<{ code: number | null, stdout: string, stderr: string, resolved: string[] }> {
  const log = join(dir, `resolved-${Math.random().toString(16).slice(2)}.txt`)
  await writeFile(log, '')
  const proc = spawn(process.execPath, ['--import', hookUrl, BIN, '--home', home, ...args], {
    env: { ...process.env, ...env, NATTER_TEST_RESOLVED: log, NATTER_RENDEZVOUS_DIR: join(dir, 'rdv') },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>(resolve => { proc.on('exit', resolve) })
  const resolved = (await readFile(log, 'utf8')).split('\n').filter(l => l !== '')
  return { code, stdout, stderr, resolved }
}

const LIBRARY = [/\/node_modules\/libp2p\//, /\/node_modules\/@libp2p\//, /\/node_modules\/better-sqlite3\//, /\/dist\/src\/index\.js$/, /\/dist\/node\/daemon\.js$/]

function loadedAny (resolved: string[], patterns: RegExp[]): string[] {
  return resolved.filter(url => patterns.some(p => p.test(url)))
}

describe('which command an argument vector runs', () => {
  it('is the first word after the global options, when it is a command', () => {
    expect(invokedCommand(['node', 'natter', 'send', 'bob', 'hi'])).toBe('send')
    expect(invokedCommand(['node', 'natter', '--home', '/x', '--json', 'history', 'bob'])).toBe('history')
    expect(invokedCommand(['node', 'natter', '--home=/x', 'contacts', 'list'])).toBe('contacts')
    // the home's value is not taken for the command
    expect(invokedCommand(['node', 'natter', '--home', 'send', 'status'])).toBe('status')
  })

  it('is none for help, a bare natter, an unknown word or an option it does not know', () => {
    for (const argv of [[], ['--help'], ['help', 'send'], ['frobnicate'], ['-V'], ['--bogus', 'send'], ['--']]) {
      expect(invokedCommand(['node', 'natter', ...argv]), argv.join(' ')).toBeUndefined()
    }
  })
})

describe.each([
  ['bundled', {}],
  ['unbundled', { NATTER_NO_BUNDLE: '1' }]
])('the %s CLI loads only what a command runs', (kind, env) => {
  beforeAll(async () => {
    if (kind === 'bundled') {
      // the build wrote the bundle, and it is the one run
      expect((await stat(BUNDLE)).isFile()).toBe(true)
    }
  })

  it('--help lists every command without loading the library, the API contract or zod', async () => {
    const r = await run(['--help'], env)
    expect(r.code).toBe(0)
    for (const name of COMMAND_NAMES) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'))
    }
    expect(loadedAny(r.resolved, [...LIBRARY, /\/node_modules\/zod\//, /\/node\/api\/contract\//])).toEqual([])
    if (kind === 'bundled') {
      expect(r.resolved.some(url => url.endsWith('/dist/cli/natter.bundle.js'))).toBe(true)
    } else {
      expect(r.resolved.some(url => url.endsWith('/dist/cli/natter.bundle.js'))).toBe(false)
    }
  })

  it('every command, loaded on its own, answers --help', async () => {
    const names = [...COMMAND_NAMES]
    // four processes at a time: 21 CLI starts one after the other are slow on a loaded machine
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let name = names.shift(); name != null; name = names.shift()) {
        const r = await run([name, '--help'], env)
        expect(r.code, name).toBe(0)
        expect(r.stdout, name).toMatch(new RegExp(`^Usage: natter ${name}\\b`, 'm'))
        expect(loadedAny(r.resolved, LIBRARY), name).toEqual([])
      }
    }))
  }, 180_000)

  it('a client command reaches for the daemon without loading the library', async () => {
    for (const args of [['send', 'bob', 'hi'], ['history', 'bob', '--json'], ['status'], ['contacts', 'list'], ['id'], ['chat', 'bob']]) {
      const r = await run(args, env)
      expect(r.code, args.join(' ')).toBe(3)
      expect(r.stderr, args.join(' ')).toMatch(/no natter daemon is running/)
      expect(loadedAny(r.resolved, LIBRARY), args.join(' ')).toEqual([])
    }
  }, 180_000)
})

describe('a command builds only the API contract it calls', () => {
  const h = harness()
  let home: string
  beforeAll(async () => {
    home = (await h.startDaemon()).home
  }, 60_000)
  afterAll(async () => { await h.cleanup() })

  /** The contract's area files (unbundled) or chunks (bundled) a run loaded, by area name. */
  function areas (resolved: string[]): string[] {
    const names = new Set<string>()
    for (const url of resolved) {
      const m = url.match(/\/dist\/node\/api\/contract\/(\w+)\.js$/) ?? url.match(/\/dist\/cli\/natter\.chunk-(\w+)-[\w-]+\.js$/)
      if (m?.[1] != null && ['config', 'contacts', 'events', 'groups', 'identity', 'inbox', 'messages', 'node', 'presence', 'requests', 'index'].includes(m[1])) {
        names.add(m[1])
      }
    }
    return [...names].sort()
  }

  it.each([
    ['bundled', {}],
    ['unbundled', { NATTER_NO_BUNDLE: '1' }]
  ])('%s: `status` loads the node area of the contract, not the others or the whole contract', async (kind, env) => {
    const r = await run(['status'], env, home)
    expect(r.code, r.stderr).toBe(0)
    expect(areas(r.resolved)).toEqual(['node'])
    if (kind === 'bundled') {
      // nor another command's code
      expect(r.resolved.filter(url => /\/natter\.chunk-(chat|group|contacts|send|history)-/.test(url))).toEqual([])
    }
  }, 60_000)

  it('`contacts list` loads the contacts area only (unbundled)', async () => {
    const r = await run(['contacts', 'list'], { NATTER_NO_BUNDLE: '1' }, home)
    expect(r.code, r.stderr).toBe(0)
    expect(areas(r.resolved)).toEqual(['contacts'])
  }, 60_000)
})

describe('the natter command line', () => {
  it('runs node with a capped young generation, as an installed `natter` is started by its #! line', async () => {
    // the kernel runs the #! line; here it is read and run the same way (env -S splits it)
    const line = (await readFile(BIN, 'utf8')).split('\n', 1)[0] ?? ''
    expect(line.startsWith('#!/usr/bin/env -S node ')).toBe(true)
    const flags = line.slice('#!/usr/bin/env -S node '.length).split(/\s+/).filter(f => f !== '')
    expect(flags).toContain('--max-semi-space-size=2')
    // the flags are ones this node accepts
    const proc = spawn(process.execPath, [...flags, '-e', '0'], { stdio: 'ignore' })
    expect(await new Promise(resolve => { proc.on('exit', resolve) })).toBe(0)
  })
})
