#!/usr/bin/env node
/**
 * The `natter` command line: `natter daemon` runs a node; every other
 * command is a thin client of that daemon's control API (see node/API.md).
 *
 * This entry only registers the commands and holds the one error handler
 * that turns named errors into a one-line message and an exit code. The
 * library (and libp2p) is loaded by the daemon command alone, through
 * `src/index.js`, which installs the Promise.withResolvers polyfill first.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { registerBlock } from './commands/block.js'
import { registerBlocked } from './commands/blocked.js'
import { registerChat } from './commands/chat.js'
import { registerConfig } from './commands/config.js'
import { registerConformance } from './commands/conformance.js'
import { registerConnect } from './commands/connect.js'
import { registerContacts } from './commands/contacts.js'
import { registerDaemon } from './commands/daemon.js'
import { registerHistory } from './commands/history.js'
import { registerId } from './commands/id.js'
import { registerInbox } from './commands/inbox.js'
import { registerPassphrase } from './commands/passphrase.js'
import { registerPeers } from './commands/peers.js'
import { registerPing } from './commands/ping.js'
import { registerPresence } from './commands/presence.js'
import { registerRequests } from './commands/requests.js'
import { registerSend } from './commands/send.js'
import { registerStatus } from './commands/status.js'
import { registerStop } from './commands/stop.js'
import { registerUnblock } from './commands/unblock.js'
import { registerVerify } from './commands/verify.js'
import { processContext } from './context.js'
import { ExitCode, errorDetails, exitCodeFor, messageFor, wasJsonPrinted } from './errors.js'
import { printJson } from './output.js'
import type { Context } from './context.js'

const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  other failure
  2  bad arguments (unknown command or option, malformed peer id, invite,
     multiaddr or config value)
  3  no daemon is running for this home
  4  not found (unknown contact, peer or request; no pending key; no identity)
  5  not delivered (peer unreachable, refused, or no acknowledgement in time)
  6  the daemon refused the API token
  7  already exists (a daemon already runs on this home; the contact, identity
     or output file exists)
  8  held: the contact's identity key changed; messages wait for
     \`natter contacts accept-key <name>\` (or \`reject-key\`)
  9  the identity key (or backup) is encrypted and its passphrase is missing
     or wrong

Environment:
  NATTER_HOME            home directory (instead of --home)
  NATTER_PASSPHRASE      passphrase of an encrypted identity key (after
                         --passphrase-file, before asking on the terminal)
  NATTER_RENDEZVOUS_DIR  same-machine discovery directory
  NO_COLOR               no colours
`

function version (): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

/** Builds the program with every command registered. */
export function buildProgram (ctx: Context): Command {
  const program = new Command('natter')
    .description('peer-to-peer instant messenger: run a daemon, then chat through it')
    .version(version(), '-V, --version')
    .option('--home <dir>', 'the daemon home (default: $NATTER_HOME, else $XDG_DATA_HOME/natter or ~/.local/share/natter)')
    .option('--json', 'print exactly one JSON document on stdout')
    .configureOutput({
      writeOut: (s) => { ctx.stdout.write(s) },
      writeErr: (s) => { ctx.stderr.write(s) }
    })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP)

  registerDaemon(program, ctx)
  registerId(program, ctx)
  registerContacts(program, ctx)
  registerVerify(program, ctx)
  registerSend(program, ctx)
  registerInbox(program, ctx)
  registerChat(program, ctx)
  registerHistory(program, ctx)
  registerStatus(program, ctx)
  registerPresence(program, ctx)
  registerPeers(program, ctx)
  registerPing(program, ctx)
  registerConnect(program, ctx)
  registerRequests(program, ctx)
  registerBlock(program, ctx)
  registerUnblock(program, ctx)
  registerBlocked(program, ctx)
  registerPassphrase(program, ctx)
  registerConfig(program, ctx)
  registerStop(program, ctx)
  registerConformance(program, ctx)
  return program
}

/** Whether `--json` was given (before a `--`), even when parsing failed before options were read. */
function wantsJson (argv: string[]): boolean {
  const args = argv.slice(2)
  const end = args.indexOf('--')
  return (end < 0 ? args : args.slice(0, end)).includes('--json')
}

/** Runs the CLI; resolves with the exit code. Never throws. */
export async function main (argv: string[], ctx: Context): Promise<number> {
  const program = buildProgram(ctx)
  try {
    await program.parseAsync(argv)
    return ExitCode.OK
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander printed the problem (or the help / version) already
      if (err.exitCode === 0) {
        return ExitCode.OK
      }
      if (wantsJson(argv)) {
        // still exactly one JSON document on stdout for a usage error
        const message = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')
        printJson(ctx, { error: { name: 'UsageError', message, exitCode: ExitCode.USAGE } })
      }
      return ExitCode.USAGE
    }
    const code = exitCodeFor(err)
    const e = err instanceof Error ? err : new Error(String(err))
    ctx.stderr.write(`natter: ${messageFor(e)}\n`)
    if (ctx.env.NATTER_DEBUG != null && ctx.env.NATTER_DEBUG !== '' && e.stack != null) {
      ctx.stderr.write(e.stack + '\n')
    }
    const details = errorDetails(e)
    if (program.opts<{ json?: boolean }>().json === true && !wasJsonPrinted(e)) {
      printJson(ctx, { error: { name: e.name, message: e.message, exitCode: code, ...(details == null ? {} : { details }) } })
    }
    return code
  }
}

// `natter … | head -1`: the reader went away; stop quietly instead of a stack trace
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') {
    process.exit(0)
  }
  throw err
})

const code = await main(process.argv, processContext())
process.exitCode = code
// a command that finished but left a handle open (a socket in its final
// close, libp2p after stop) must not keep the process alive for long
setTimeout(() => { process.exit() }, 3_000).unref()
