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
 10  not allowed in this group: only an admin can do that, or you are no
     longer a member

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

type Register = (program: Command, ctx: Context) => void

/**
 * Every command, in the order `--help` lists them, each loaded only when
 * needed: a command's module (and what it imports) costs start-up time, and
 * a CLI call runs one command. `natter send …` loads `send` alone; help, a
 * bare `natter` or an unknown word load them all (for the list and for
 * "did you mean").
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ['daemon', async () => (await import('./commands/daemon.js')).registerDaemon],
  ['id', async () => (await import('./commands/id.js')).registerId],
  ['contacts', async () => (await import('./commands/contacts.js')).registerContacts],
  ['verify', async () => (await import('./commands/verify.js')).registerVerify],
  ['send', async () => (await import('./commands/send.js')).registerSend],
  ['inbox', async () => (await import('./commands/inbox.js')).registerInbox],
  ['chat', async () => (await import('./commands/chat.js')).registerChat],
  ['group', async () => (await import('./commands/group.js')).registerGroup],
  ['history', async () => (await import('./commands/history.js')).registerHistory],
  ['status', async () => (await import('./commands/status.js')).registerStatus],
  ['presence', async () => (await import('./commands/presence.js')).registerPresence],
  ['peers', async () => (await import('./commands/peers.js')).registerPeers],
  ['ping', async () => (await import('./commands/ping.js')).registerPing],
  ['connect', async () => (await import('./commands/connect.js')).registerConnect],
  ['requests', async () => (await import('./commands/requests.js')).registerRequests],
  ['block', async () => (await import('./commands/block.js')).registerBlock],
  ['unblock', async () => (await import('./commands/unblock.js')).registerUnblock],
  ['blocked', async () => (await import('./commands/blocked.js')).registerBlocked],
  ['passphrase', async () => (await import('./commands/passphrase.js')).registerPassphrase],
  ['config', async () => (await import('./commands/config.js')).registerConfig],
  ['stop', async () => (await import('./commands/stop.js')).registerStop],
  ['conformance', async () => (await import('./commands/conformance.js')).registerConformance]
]

/** The names of every command (in help order). */
export const COMMAND_NAMES: readonly string[] = COMMANDS.map(([name]) => name)

/**
 * The command an argument vector runs, when that can be told without
 * parsing: the first word after the global options. Undefined for help, a
 * bare `natter`, `--`, an unknown word or an unknown option before the
 * command — those load every command.
 */
export function invokedCommand (argv: readonly string[]): string | undefined {
  let skipValue = false
  for (const arg of argv.slice(2)) {
    if (skipValue) {
      skipValue = false
    } else if (arg === '--home') {
      skipValue = true
    } else if (!arg.startsWith('--home=') && arg !== '--json') {
      return COMMAND_NAMES.includes(arg) ? arg : undefined
    }
  }
  return undefined
}

/** Builds the program with the given commands registered (all of them by default). */
export async function buildProgram (ctx: Context, only?: string): Promise<Command> {
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

  const chosen = COMMANDS.filter(([name]) => only == null || name === only)
  const registers = await Promise.all(chosen.map(async ([, load]) => load()))
  for (const register of registers) {
    register(program, ctx)
  }
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
  const program = await buildProgram(ctx, invokedCommand(argv))
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

/** Runs the CLI on this process (the executable, dist/cli/index.js, calls it): sets the exit code. */
export async function run (): Promise<void> {
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
}
