/**
 * `natter config`: show and change the settings in the home's `config.json`.
 * With a daemon running, changes go through it (read receipts and
 * notifications apply at once; the others at its next start); without one,
 * the file is edited directly.
 *
 * @module
 */
import { homeFiles } from '../../node/api/discovery.js'
import { DaemonNotRunningError, UsageError } from '../errors.js'
import { print, printJson, styleFor } from '../output.js'
import { clientFor, examples, globals, homeOf, natterCommand, rejectStrayWord } from '../shared.js'
import type { ConfigResponse, ConfigView } from '../../node/api/types.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

type Key = keyof ConfigView

/** The settings, their kind and what they mean (for `natter config --help` and `natter config`). */
const SETTINGS: Record<Key, { kind: 'list' | 'boolean' | 'string', about: string }> = {
  readReceipts: { kind: 'boolean', about: 'tell senders when you have read their messages (on/off)' },
  notify: { kind: 'string', about: 'new message while the chat is not focused: bell, desktop (notify-send) or off' },
  presenceVisibility: { kind: 'string', about: 'who sees your presence: contacts (default), invisible (nobody) or public (anyone on the network; for bots)' },
  name: { kind: 'string', about: 'the name your invites suggest' },
  listen: { kind: 'list', about: 'multiaddrs to listen on (all interfaces by default)' },
  announce: { kind: 'list', about: 'multiaddrs to announce instead of the listen addresses' },
  bootstrap: { kind: 'list', about: 'peers to join the network through' },
  mdns: { kind: 'boolean', about: 'announce yourself and find peers on the local network (on/off)' },
  network: { kind: 'string', about: 'internet (relays, AutoNAT, UPnP; only dialable addresses advertised) or local (one machine or LAN)' },
  upnp: { kind: 'boolean', about: 'ask the router for a port mapping with UPnP, internet mode (on/off)' },
  relayServer: { kind: 'boolean', about: 'relay for other peers when publicly reachable, internet mode (on/off)' },
  logLevel: { kind: 'string', about: 'daemon log level: error, warn, info or debug' },
  api: { kind: 'string', about: 'where the control API listens (a socket path, or loopback host:port)' }
}

/** `read-receipts`, `readReceipts`, `read_receipts` → `readReceipts`. */
function parseKey (raw: string): Key {
  const camel = raw.trim().replace(/[-_]+([a-z])/g, (_m, c: string) => c.toUpperCase())
  const key = (Object.keys(SETTINGS) as Key[]).find(k => k.toLowerCase() === camel.toLowerCase())
  if (key == null) {
    throw new UsageError(`unknown setting "${raw}" (known: ${Object.keys(SETTINGS).map(kebab).join(', ')})`)
  }
  return key
}

function kebab (key: string): string {
  return key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)
}

function parseValue (key: Key, words: string[]): unknown {
  const kind = SETTINGS[key].kind
  if (kind === 'list') {
    return words.flatMap(w => w.split(',')).map(w => w.trim()).filter(w => w !== '')
  }
  const text = words.join(' ')
  if (kind === 'boolean') {
    if (/^(on|true|yes|1)$/i.test(text)) {
      return true
    }
    if (/^(off|false|no|0)$/i.test(text)) {
      return false
    }
    throw new UsageError(`${kebab(key)}: expected on or off, not "${text}"`)
  }
  return text
}

function show (value: unknown): string {
  if (Array.isArray(value)) {
    return value.length === 0 ? '(none)' : value.join(', ')
  }
  if (typeof value === 'boolean') {
    return value ? 'on' : 'off'
  }
  return value === '' ? '(none)' : String(value)
}

/** The config file's module, loaded when the file is read or written here (it brings zod and multiaddr). */
async function configFile (): Promise<typeof import('../../node/config.js')> {
  return import('../../node/config.js')
}

/** Reads the settings: from the daemon when one runs, else from the file. */
async function read (ctx: Context, cmd: Command): Promise<ConfigResponse> {
  try {
    return await (await clientFor(ctx, cmd)).api.config()
  } catch (err) {
    if (!(err instanceof DaemonNotRunningError)) {
      throw err
    }
    const path = homeFiles(homeOf(ctx, cmd)).config
    const { configView, loadExistingConfigFile } = await configFile()
    const { file } = await loadExistingConfigFile(path)
    return { config: configView(file) as ConfigView, path, restartNeeded: [] }
  }
}

/** Changes settings: through the daemon when one runs (live ones apply at once), else in the file. */
async function write (ctx: Context, cmd: Command, patch: Partial<ConfigView>): Promise<ConfigResponse & { running: boolean }> {
  try {
    const client = await clientFor(ctx, cmd)
    return { ...await client.api.setConfig({ body: patch }), running: true }
  } catch (err) {
    if (!(err instanceof DaemonNotRunningError)) {
      throw err
    }
    const path = homeFiles(homeOf(ctx, cmd)).config
    const { configView, updateConfigFile } = await configFile()
    const { file } = await updateConfigFile(path, patch)
    return { config: configView(file) as ConfigView, path, restartNeeded: [], running: false }
  }
}

/** Registers `natter config …`. */
export function registerConfig (program: Command, ctx: Context): void {
  const config = program
    .command('config')
    .description('show or change settings (read receipts, notifications, listen addresses, mDNS, …)')
    .addHelpText('after', examples(
      ['natter config', 'every setting and its value'],
      ['natter config set read-receipts on', 'let senders see when you read their messages'],
      ['natter config set notify desktop', 'a desktop notification (notify-send) for new messages'],
      ['natter config set listen /ip4/127.0.0.1/tcp/4001', 'listen on this machine only (next start)'],
      ['natter config set mdns off', 'stop announcing yourself on the local network (next start)'],
      ['natter config get notify --json', 'one value as JSON']
    ) + '\nSettings:\n' + (Object.entries(SETTINGS) as Array<[Key, { about: string }]>).map(([k, s]) => `  ${kebab(k).padEnd(14)} ${s.about}`).join('\n') + '\n')

  config
    .command('list', { isDefault: true })
    .allowExcessArguments()
    .description('show every setting')
    .action(async (_options: unknown, cmd: Command) => {
      rejectStrayWord(cmd)
      const current = await read(ctx, cmd)
      if (globals(cmd).json === true) {
        printJson(ctx, { config: current.config, path: current.path })
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      for (const key of Object.keys(SETTINGS) as Key[]) {
        print(ctx, `${style.bold(kebab(key).padEnd(14))} ${show(current.config[key])}`)
      }
      ctx.stderr.write(`(from ${current.path}; change one with \`${natterCommand(cmd)} config set <setting> <value>\`)\n`)
    })

  config
    .command('get')
    .description('show one setting')
    .argument('<setting>', 'e.g. read-receipts, notify, listen')
    .action(async (raw: string, _options: unknown, cmd: Command) => {
      const key = parseKey(raw)
      const current = await read(ctx, cmd)
      if (globals(cmd).json === true) {
        printJson(ctx, { [key]: current.config[key] })
        return
      }
      print(ctx, show(current.config[key]))
    })

  config
    .command('set')
    .description('change one setting')
    .argument('<setting>', 'e.g. read-receipts, notify, listen')
    .argument('<value...>', 'the new value (on/off for switches; lists space- or comma-separated)')
    .action(async (raw: string, words: string[], _options: unknown, cmd: Command) => {
      const key = parseKey(raw)
      const value = parseValue(key, words)
      const result = await write(ctx, cmd, { [key]: value })
      if (globals(cmd).json === true) {
        printJson(ctx, { config: result.config, path: result.path, restartNeeded: result.restartNeeded })
        return
      }
      print(ctx, `${kebab(key)} = ${show(result.config[key])}`)
      if (result.running && result.restartNeeded.includes(key)) {
        ctx.stderr.write(`takes effect when the daemon starts again (\`${natterCommand(cmd)} stop\`, then start it)\n`)
      } else if (result.running && (await configFile()).LIVE_SETTINGS.has(key)) {
        ctx.stderr.write('applied now\n')
      }
    })
}
