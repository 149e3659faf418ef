/**
 * `natter daemon`: runs the node and its control API in the foreground until
 * SIGINT, SIGTERM or `natter stop`.
 *
 * @module
 */
import { Option } from 'commander'
import { examples, globals } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value]

interface DaemonOptions {
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  api?: string
  logLevel?: string
  mdns?: boolean
  name?: string
  network?: string
  passphraseFile?: string
  newStore?: boolean
}

/** A second signal while stopping: give up waiting. */
class ForcedStopError extends Error {
  constructor (signal: string) {
    super(`${signal} again while stopping; quitting without a clean shutdown`)
    this.name = 'ForcedStopError'
  }
}

/** Registers `natter daemon`. */
export function registerDaemon (program: Command, ctx: Context): void {
  program
    .command('daemon')
    .description('run a natter node and its local control API (in the foreground)')
    .option('--listen <multiaddr>', 'listen address (repeatable; default from config.json)', collect)
    .option('--announce <multiaddr>', 'address to announce instead of the listen addresses (repeatable)', collect)
    .option('--bootstrap <multiaddr>', 'peer to join the network through, ending in /p2p/<peerId> (repeatable)', collect)
    .option('--api <address>', 'control API address: a socket path, or 127.0.0.1:<port> (loopback only; default <home>/api.sock)')
    .addOption(new Option('--log-level <level>', 'log level on stderr').choices(['error', 'warn', 'info', 'debug']))
    .option('--mdns', 'find peers on the LAN with mDNS (the default)')
    .option('--no-mdns', 'do not use mDNS (no multicast traffic)')
    .option('--name <name>', 'the name your invites suggest for you')
    .addOption(new Option('--network <mode>', 'internet: reachable from anywhere (relays, AutoNAT, UPnP; the default); local: this machine or LAN only (tests, demos)').choices(['internet', 'local']))
    .option('--passphrase-file <path>', 'the identity key\'s passphrase is the first line of this file (else NATTER_PASSPHRASE, else asked on the terminal)')
    .option('--new-store', 'begin with a new, empty message store when natter.db is missing or empty next to an existing identity (otherwise the daemon refuses to start)')
    .addHelpText('after', examples(
      ['natter daemon', 'run with the home\'s config.json (created on first run)'],
      ['natter --home ~/alt daemon --no-mdns', 'a second node on this machine, no multicast'],
      ['natter daemon --network local --listen /ip4/127.0.0.1/tcp/0', 'a node for this machine only (tests, demos)'],
      ['natter daemon --listen /ip4/0.0.0.0/tcp/4001', 'listen on a fixed port'],
      ['natter daemon --api 127.0.0.1:5050', 'control API on loopback TCP instead of a socket'],
      ['natter daemon --json', 'print the startup banner as JSON'],
      ['natter daemon --passphrase-file /run/secrets/natter', 'an encrypted identity key, unattended']
    ) + `
The home holds config.json, the identity, the message store, api.token,
api.sock and daemon.lock. Flags override config.json for this run only.
Stop with Ctrl-C, SIGTERM or \`natter stop\`.

An identity key encrypted with \`natter passphrase set\` needs its passphrase:
from --passphrase-file, else NATTER_PASSPHRASE, else asked on the terminal
(without a terminal the daemon exits with code 9). On first start, a
passphrase given by file or NATTER_PASSPHRASE encrypts the new key.

If natter.db is missing or empty while the identity key exists, the contacts
and history were lost: the daemon refuses to start (exit code 4) rather than
begin again silently. Restore natter.db from a backup, or pass --new-store.
`)
    .action(async (options: DaemonOptions, cmd: Command) => {
      const g = globals(cmd)
      // signals are handled from the start: one that arrives while starting stops the daemon once it is up
      const stopRequested = new AbortController()
      let forced: ((err: Error) => void) | undefined
      const forcedStop = new Promise<never>((_resolve, reject) => { forced = reject })
      forcedStop.catch(() => {})
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopRequested.signal.aborted) {
          forced?.(new ForcedStopError(signal))
          return
        }
        if (signal === 'SIGINT' && ctx.stderr.isTTY === true) {
          ctx.stderr.write('\n')
        }
        stopRequested.abort()
      }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
      try {
        // loaded here, not at the top: the library (libp2p) is only needed by this command
        const { startDaemon } = await import('../../node/daemon.js')
        const { askSecret, canPrompt } = await import('../prompt.js')
        const daemon = await startDaemon({
          home: g.home,
          env: ctx.env,
          json: g.json,
          stdout: ctx.stdout,
          stderr: ctx.stderr,
          passphraseFile: options.passphraseFile,
          newStore: options.newStore === true,
          handleProcessFaults: true,
          askPassphrase: canPrompt(ctx) ? async (prompt) => askSecret(ctx, prompt) : undefined,
          overrides: {
            listen: options.listen,
            announce: options.announce,
            bootstrap: options.bootstrap,
            api: options.api,
            logLevel: options.logLevel,
            mdns: options.mdns,
            name: options.name,
            network: options.network
          }
        })
        if (stopRequested.signal.aborted) {
          void daemon.stop()
        } else {
          stopRequested.signal.addEventListener('abort', () => { void daemon.stop() })
        }
        await Promise.race([daemon.stopped, forcedStop])
        if (daemon.fault != null) {
          throw daemon.fault
        }
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    })
}
