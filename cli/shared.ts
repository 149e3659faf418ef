/**
 * Helpers every command uses: the global options, the API client for the
 * chosen home, argument parsers and help-text examples.
 *
 * @module
 */
import { InvalidArgumentError } from 'commander'
import { resolveHome } from '../node/api/discovery.js'
import { UsageError } from './errors.js'
import { shellQuote } from './output.js'
import { didYouMean } from './suggest.js'
import type { ApiClient } from './client.js'
import type { Context, GlobalOptions } from './context.js'
import type { Command } from 'commander'

/** The global options (`--home`, `--json`) as seen from a (sub)command. */
export function globals (cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals<GlobalOptions>()
  return { home: o.home, json: o.json === true }
}

/** The home the command addresses. */
export function homeOf (ctx: Context, cmd: Command): string {
  return resolveHome({ home: globals(cmd).home, env: ctx.env })
}

/** `natter`, or `natter --home <dir>` when the user chose the home with --home: the start of commands we suggest. */
export function natterCommand (cmd: Command): string {
  const home = globals(cmd).home
  return home == null || home === '' ? 'natter' : `natter --home ${shellQuote(home)}`
}

/** A client of the daemon of the command's home; throws `DaemonNotRunningError` if there is none. */
export async function clientFor (ctx: Context, cmd: Command): Promise<ApiClient> {
  // loaded here, not at the top: the client brings the API contract (zod
  // schemas), which commands that never reach the daemon (--help, bad
  // arguments, `daemon`) should not pay for at start
  const { connectClient } = await import('./client.js')
  return connectClient({ home: homeOf(ctx, cmd) })
}

/** Parses a positive integer option value. */
export function positiveInt (value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a whole number of at least 1')
  }
  return n
}

/** An "Examples:" section for `--help`. */
export function examples (...lines: Array<[string, string]>): string {
  const width = Math.max(...lines.map(([cmd]) => cmd.length))
  return '\nExamples:\n' + lines.map(([cmd, what]) => `  $ ${cmd.padEnd(width)}  # ${what}`).join('\n') + '\n'
}

/** Reads all of stdin as text. */
export async function readAll (ctx: Context): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of ctx.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * For the default subcommand of a group (`contacts` → `list`): a word left
 * over is a mistyped subcommand (`natter contacts lst`), so say so, with the
 * closest name. Call first in the default subcommand's action; it must
 * `allowExcessArguments()`.
 */
export function rejectStrayWord (cmd: Command): void {
  const stray = cmd.args[0]
  const parent = cmd.parent
  if (stray == null || parent == null) {
    return
  }
  const names = parent.commands.flatMap(c => [c.name(), ...c.aliases()])
  const near = didYouMean(stray, names)
  throw new UsageError(`unknown command '${stray}' for 'natter ${parent.name()}'${near == null ? '' : ` (did you mean ${near}?)`}; see \`natter ${parent.name()} --help\``)
}
