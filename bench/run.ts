/**
 * `npm run bench`: runs the benchmark suites in one process and prints their
 * figures, natter's ratios to raw libp2p and the targets. Never asserts:
 * figures only.
 *
 *   node dist/bench/run.js [--only raw,natter,crypto] [--json]
 *
 * `--json` prints one JSON document on stdout; progress always goes to stderr.
 * A new suite is a file exporting a {@link Suite}, added to `SUITES`.
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { parseArgs } from 'node:util'
import { cryptoSuite } from './crypto.js'
import { natterSealedSuite, natterSuite } from './natter.js'
import { floodSuite } from './flood.js'
import { offlineSuite } from './offline.js'
import { rawSuite } from './raw.js'
import { compare, machineInfo, renderText } from './report.js'
import type { SuiteReport } from './report.js'
import type { Suite } from './suite.js'

ensurePromiseWithResolvers()

/** Every suite, in the order they run. */
const SUITES: Suite[] = [rawSuite, natterSuite, natterSealedSuite, offlineSuite, floodSuite, cryptoSuite]

/** After the report, open handles get this long to close before the process is ended. */
const EXIT_GRACE_MS = 5_000

interface Args {
  only: Suite[]
  json: boolean
}

function parse (argv: string[]): Args | string {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        only: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false }
      },
      strict: true
    }))
  } catch (err) {
    return (err as Error).message
  }
  if (values.help === true) {
    return ''
  }
  let only = SUITES
  if (values.only != null) {
    const names = values.only.split(',').map(s => s.trim()).filter(s => s !== '')
    const unknown = names.filter(n => !SUITES.some(s => s.name === n))
    if (unknown.length > 0 || names.length === 0) {
      return `unknown suite ${unknown.join(', ') || '(none given)'}; suites: ${SUITES.map(s => s.name).join(', ')}`
    }
    only = SUITES.filter(s => names.includes(s.name))
  }
  return { only, json: values.json === true }
}

function usage (): string {
  return [
    'usage: node dist/bench/run.js [--only <suite,...>] [--json]',
    '',
    ...SUITES.map(s => `  ${s.name.padEnd(8)} ${s.description} (at most ${s.budgetMs / 1000} s)`),
    '',
    'natter is compared with raw only when both run.'
  ].join('\n')
}

async function main (): Promise<void> {
  const args = parse(process.argv.slice(2))
  if (args === '') {
    process.stdout.write(`${usage()}\n`)
    return
  }
  if (typeof args === 'string') {
    process.stderr.write(`bench: ${args}\n\n${usage()}\n`)
    process.exitCode = 2
    return
  }
  const progress = (message: string): void => { process.stderr.write(`${message}\n`) }
  const warnings: string[] = []
  const warn = (message: string): void => {
    warnings.push(message)
    progress(`warning: ${message}`)
  }
  // a stray rejection inside a library while nodes stop must not lose the figures already taken
  process.on('unhandledRejection', (reason) => {
    warn(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`)
  })

  const machine = machineInfo()
  const startedAt = new Date().toISOString()
  const suites: Record<string, SuiteReport> = {}
  for (const suite of args.only) {
    const t0 = performance.now()
    const signal = AbortSignal.timeout(suite.budgetMs)
    const report: SuiteReport = { description: suite.description, durationMs: 0, results: {} }
    suites[suite.name] = report
    try {
      await suite.run({ signal, progress, warn, record: (key, m) => { report.results[key] = m } })
    } catch (err) {
      report.error = signal.aborted ? `time budget of ${suite.budgetMs / 1000} s ran out (${(err as Error).message})` : (err as Error).stack ?? String(err)
      progress(`${suite.name}: ${report.error}`)
    }
    report.durationMs = performance.now() - t0
  }
  const comparisons = compare(suites)

  if (args.json) {
    process.stdout.write(JSON.stringify({ startedAt, machine, suites, comparisons, warnings }, null, 2) + '\n')
  } else {
    process.stdout.write('\n' + renderText(machine, suites, comparisons))
    for (const w of warnings) {
      process.stdout.write(`warning: ${w}\n`)
    }
  }
  if (Object.values(suites).some(s => s.error != null)) {
    process.exitCode = 1
  }
  // every suite stops what it started; if some library still holds a handle, do not hang
  setTimeout(() => {
    progress('bench: open handles kept the process alive; exiting')
    process.exit()
  }, EXIT_GRACE_MS).unref()
}

await main()
