/**
 * CLI start-up (issue 15, target 5: every command ≤ 1.5× `node -e 0`): the
 * wall time of each client command against a running daemon, paired with
 * `node -e 0` run by run (A B A B …), the median of the pairwise ratios.
 *
 *   npm run bench:cli [-- --runs 15 --bin dist/cli/index.js]
 *
 * `--bin` picks another build to time (e.g. a copy of an earlier bundle's
 * index.js). For whole-process CPU and peak memory as the OS counts them,
 * time single commands with `farm-bench --vs 'node -e 0' -- node dist/cli/index.js …`.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    bin: { type: 'string', default: join(here, '..', 'cli', 'index.js') }
  }
})
const runs = Math.max(3, Math.min(100, Number(values.runs)))
const bin = values.bin

const home = await mkdtemp(join(tmpdir(), 'natter-bench-cli-'))
const env: NodeJS.ProcessEnv = { ...process.env, NATTER_RENDEZVOUS_DIR: join(home, 'rdv'), NO_COLOR: '1' }
delete env.NATTER_HOME

/** Wall ms of one run of `node args`. */
function wall (args: string[]): number {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, { env, stdio: 'ignore' })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0 && args[0] !== '-e') {
    throw new Error(`natter ${args.slice(3).join(' ')} exited ${r.status}`)
  }
  return ms
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}

const daemon = spawn(process.execPath, [bin, '--home', home, 'daemon', '--json', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--network', 'local'], { env, stdio: ['ignore', 'pipe', 'inherit'] })
try {
  // the --json banner is the daemon's first line on stdout
  await new Promise<void>((resolve, reject) => {
    let out = ''
    daemon.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\n')) resolve() })
    daemon.once('exit', code => { reject(new Error(`daemon exited (${code})`)) })
  })
  const natter = (...args: string[]): string[] => [bin, '--home', home, ...args]
  const bob = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
  wall(natter('contacts', 'add', 'bob', bob))
  for (let i = 0; i < 5; i++) wall(natter('send', '--no-wait', 'bob', `note ${i}`))

  const commands: string[][] = [
    ['id'], ['send', '--no-wait', 'bob', 'hi'], ['history', 'bob', '--json'], ['contacts', 'list'], ['inbox'],
    ['status'], ['presence'], ['peers'], ['requests'], ['config', 'list'], ['--help']
  ]
  const rows: string[] = []
  for (const command of commands) {
    const a: number[] = []
    const b: number[] = []
    const ratios: number[] = []
    wall(natter(...command))
    for (let i = 0; i < runs; i++) {
      const x = wall(natter(...command))
      const y = wall(['-e', '0'])
      a.push(x)
      b.push(y)
      ratios.push(x / y)
    }
    const row = `| \`natter ${command.join(' ')}\` | ${median(a).toFixed(0)} | ${median(b).toFixed(0)} | ${median(ratios).toFixed(2)}× |`
    process.stderr.write(`${row}\n`)
    rows.push(row)
  }
  process.stdout.write(`\nCLI start-up, ${runs} pairs per command (median)\n\n| command | wall ms | \`node -e 0\` ms | ratio |\n|---|---|---|---|\n${rows.join('\n')}\n`)
} finally {
  daemon.kill('SIGTERM')
  await new Promise(resolve => { daemon.once('exit', resolve); setTimeout(resolve, 10_000).unref() })
  await rm(home, { recursive: true, force: true })
}
