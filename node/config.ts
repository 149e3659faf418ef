/**
 * The daemon's configuration: `<home>/config.json`, validated against a zod
 * schema, with command-line flags layered on top. A bad field gets a
 * {@link ConfigError} naming it, e.g. `config.json: listen[1]: not a multiaddr`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { isIP } from 'node:net'
import { basename, isAbsolute, join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { z } from 'zod'
// from its own file, not the library's index (which loads libp2p): the CLI's `config` reads this module
import { NatterOptionsSchema } from '../src/options.js'
import { EVENT_STREAM_MAX_BUFFERED_BYTES } from './api/routes/events.js'
import { ConfigError } from './errors.js'
import { LOG_LEVELS } from './log.js'
import type { LogLevel } from './log.js'
import type { NatterOptions } from '../src/index.js'
import type { ZodError } from 'zod'

/** Where the control API listens, resolved. */
export type ApiAddress =
  | { transport: 'unix', path: string }
  | { transport: 'tcp', host: string, port: number }

/** The daemon's effective configuration. */
export interface DaemonConfig {
  /** Multiaddrs to listen on. */
  listen: string[]
  /** Multiaddrs to announce instead of the listen addresses. */
  announce: string[]
  /** Peers to join the network through (multiaddrs ending in `/p2p/<peerId>`). */
  bootstrap: string[]
  /** Where the control API listens. */
  api: ApiAddress
  logLevel: LogLevel
  /** Find peers on the LAN with mDNS. */
  mdns: boolean
  /** The name this node suggests for itself in invites. */
  name: string
  /** Most bytes of events waiting for a slow `/v1/events` client before it is dropped (config file only). */
  eventBufferBytes: number
  /** Tell senders when their messages were read (when a chat or history shows them). */
  readReceipts: boolean
  /** How the chat screen tells about a new message while its terminal is not focused. */
  notify: NotifyMode
  /**
   * The library's options set in `config.json` (read receipts, mailbox
   * opt-out, durability, proof-of-work difficulty, …; see the library's
   * `NatterOptionsSchema`). Unset ones keep the library's defaults.
   */
  options: NatterOptions
}

/** `bell`: the terminal bell; `desktop`: notify-send when installed (else the bell); `off`. */
export type NotifyMode = 'bell' | 'desktop' | 'off'
/** The notify modes. */
export const NOTIFY_MODES = ['bell', 'desktop', 'off'] as const

/** Daemon flags; each given one overrides the config file's field. */
export interface ConfigOverrides {
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  api?: string
  logLevel?: string
  mdns?: boolean
  name?: string
  /** `internet` or `local` (`NatterInit.network`). */
  network?: string
}

/** The default API address: a socket in the home. */
export const API_DEFAULT = 'api.sock'
/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107

function isMultiaddr (value: string): boolean {
  if (!value.startsWith('/')) {
    return false
  }
  try {
    multiaddr(value)
    return true
  } catch {
    return false
  }
}

function isPeerAddress (value: string): boolean {
  if (!isMultiaddr(value)) {
    return false
  }
  return multiaddr(value).getComponents().findLast(c => c.name === 'p2p')?.value != null
}

const Multiaddr = z.string({ error: 'not a string' }).refine(isMultiaddr, 'not a multiaddr')
const PeerAddress = z.string({ error: 'not a string' }).refine(isPeerAddress, 'not a multiaddr ending in /p2p/<peerId>')
const ApiString = z.string({ error: 'not a string' }).min(1, 'empty').superRefine((value, ctx) => {
  const problem = apiAddressProblem(value)
  if (problem != null) {
    ctx.addIssue({ code: 'custom', message: problem })
  }
})

const fields = {
  listen: z.array(Multiaddr, { error: 'not a list of multiaddrs' }),
  announce: z.array(Multiaddr, { error: 'not a list of multiaddrs' }),
  bootstrap: z.array(PeerAddress, { error: 'not a list of multiaddrs' }),
  api: ApiString,
  logLevel: z.enum(LOG_LEVELS, { error: `not one of ${LOG_LEVELS.join(', ')}` }),
  mdns: z.boolean({ error: 'not true or false' }),
  name: z.string({ error: 'not a string' }).max(64, 'longer than 64 characters'),
  eventBufferBytes: z.number({ error: 'not a number' }).int('not an integer').min(4096, 'below 4096').max(256 * 1024 * 1024, 'above 256 MiB'),
  readReceipts: z.boolean({ error: 'not true or false' }),
  notify: z.enum(NOTIFY_MODES, { error: `not one of ${NOTIFY_MODES.join(', ')}` }),
  network: z.enum(['internet', 'local'], { error: 'not "internet" or "local"' })
}

const OPTION_KEYS = Object.keys(NatterOptionsSchema.shape) as Array<keyof NatterOptions>

/**
 * The schema of `config.json`: the daemon's own fields, and every field of
 * the library's {@link NatterOptionsSchema}. Every field is optional; unknown
 * fields are refused.
 */
export const ConfigFileSchema = z.strictObject({
  listen: fields.listen.optional(),
  announce: fields.announce.optional(),
  bootstrap: fields.bootstrap.optional(),
  api: fields.api.optional(),
  logLevel: fields.logLevel.optional(),
  mdns: fields.mdns.optional(),
  name: fields.name.optional(),
  ...NatterOptionsSchema.shape,
  eventBufferBytes: fields.eventBufferBytes.optional(),
  readReceipts: fields.readReceipts.optional(),
  notify: fields.notify.optional()
})

/** What `config.json` holds. */
export type ConfigFile = z.infer<typeof ConfigFileSchema>

const FLAG_NAMES: Record<keyof ConfigOverrides, string> = {
  listen: '--listen',
  announce: '--announce',
  bootstrap: '--bootstrap',
  api: '--api',
  logLevel: '--log-level',
  mdns: '--mdns',
  name: '--name',
  network: '--network'
}

function formatPath (path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : (out === '' ? String(key) : `.${String(key)}`)
  }
  return out
}

function firstProblem (source: string, error: ZodError): ConfigError {
  const issue = error.issues[0]
  if (issue == null) {
    return new ConfigError(`${source}: invalid`)
  }
  const where = formatPath(issue.path)
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map(k => `"${k}"`).join(', ')
    return where === ''
      ? new ConfigError(`${source}: unknown field ${keys} (known: ${[...new Set([...Object.keys(fields), ...OPTION_KEYS])].join(', ')})`)
      : new ConfigError(`${source}: ${where}: unknown field ${keys}`)
  }
  return new ConfigError(`${source}: ${where === '' ? '' : `${where}: `}${issue.message}`)
}

/** Why `value` cannot be an API address, or undefined if it can. Non-loopback TCP is refused. */
export function apiAddressProblem (value: string): string | undefined {
  const tcp = splitHostPort(value)
  if (tcp == null) {
    return undefined
  }
  if (!Number.isInteger(tcp.port) || tcp.port < 0 || tcp.port > 65535) {
    return `"${value}" has a bad port`
  }
  if (!isLoopback(tcp.host)) {
    return `"${value}" is not a loopback address; the control API only listens on this machine (use 127.0.0.1:<port> or a socket path)`
  }
  return undefined
}

function splitHostPort (value: string): { host: string, port: number } | undefined {
  const text = value.startsWith('http://') ? value.slice('http://'.length).replace(/\/$/, '') : value
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text)
  if (bracketed != null) {
    return { host: bracketed[1]!, port: Number(bracketed[2]) }
  }
  const plain = /^([^/:[\]]+):(\d+)$/.exec(text)
  if (plain != null) {
    return { host: plain[1]!, port: Number(plain[2]) }
  }
  return undefined
}

function isLoopback (host: string): boolean {
  if (host === 'localhost') {
    return true
  }
  if (isIP(host) === 4) {
    return host.startsWith('127.')
  }
  if (isIP(host) === 6) {
    return host === '::1' || host === '0:0:0:0:0:0:0:1'
  }
  return false
}

/**
 * Resolves an API address string: `host:port` (loopback only) is TCP,
 * anything else a socket path (`unix:` prefix optional), relative to `home`.
 */
export function parseApiAddress (value: string, home: string): ApiAddress {
  const problem = apiAddressProblem(value)
  if (problem != null) {
    throw new ConfigError(`api: ${problem}`)
  }
  const tcp = splitHostPort(value)
  if (tcp != null) {
    return { transport: 'tcp', host: tcp.host === 'localhost' ? '127.0.0.1' : tcp.host, port: tcp.port }
  }
  const raw = value.startsWith('unix:') ? value.slice('unix:'.length) : value
  const path = isAbsolute(raw) ? raw : join(home, raw)
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new ConfigError(`api: the socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes, which Unix sockets cannot use; choose a shorter --home or --api 127.0.0.1:<port>`)
  }
  return { transport: 'unix', path }
}

/** Parses and validates the text of a config file; `source` names it in errors. */
export function parseConfigFile (text: string, source = 'config.json'): ConfigFile {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${source}: not valid JSON (${(err as Error).message})`, { cause: err })
  }
  const result = ConfigFileSchema.safeParse(raw)
  if (!result.success) {
    throw firstProblem(source, result.error)
  }
  return result.data
}

/** Validates command-line overrides; errors name the flag, e.g. `--listen: not a multiaddr`. */
export function parseOverrides (overrides: ConfigOverrides): ConfigFile {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(FLAG_NAMES) as Array<keyof ConfigOverrides>) {
    const value = overrides[key]
    if (value === undefined) {
      continue
    }
    const result = fields[key].safeParse(value)
    if (!result.success) {
      const issue = result.error.issues[0]
      const index = issue?.path.find(p => typeof p === 'number')
      const which = typeof index === 'number' && Array.isArray(value) ? ` "${String(value[index])}"` : ''
      throw new ConfigError(`${FLAG_NAMES[key]}${which}: ${issue?.message ?? 'invalid'}`)
    }
    out[key] = result.data
  }
  return out as ConfigFile
}

/** Layers overrides on the file and fills defaults, field by field. */
export function resolveConfig (file: ConfigFile, overrides: ConfigFile, home: string): DaemonConfig {
  return {
    listen: overrides.listen ?? file.listen ?? ['/ip4/0.0.0.0/tcp/0'],
    announce: overrides.announce ?? file.announce ?? [],
    bootstrap: [...new Set([...(file.bootstrap ?? []), ...(overrides.bootstrap ?? [])])],
    api: parseApiAddress(overrides.api ?? file.api ?? API_DEFAULT, home),
    logLevel: overrides.logLevel ?? file.logLevel ?? 'warn',
    mdns: overrides.mdns ?? file.mdns ?? true,
    name: overrides.name ?? file.name ?? '',
    eventBufferBytes: file.eventBufferBytes ?? EVENT_STREAM_MAX_BUFFERED_BYTES,
    readReceipts: file.readReceipts ?? false,
    notify: file.notify ?? 'bell',
    // --network overrides config.json's "network" (a library option) for this run
    options: overrides.network != null ? { ...pickOptions(file), network: overrides.network } : pickOptions(file)
  }
}

/** The library options a config file sets, and no other field (an unset one stays absent, not `undefined`). */
function pickOptions (file: ConfigFile): NatterOptions {
  const options: Record<string, unknown> = {}
  for (const key of OPTION_KEYS) {
    if (file[key] !== undefined) {
      options[key] = file[key]
    }
  }
  return options as NatterOptions
}

/** Result of {@link loadConfigFile}. */
export interface LoadedConfig {
  file: ConfigFile
  /** True when this call created the file (first run). */
  created: boolean
}

/**
 * Reads `config.json`, creating it on first run from the flags given to that
 * run (`overrides`: `--listen`, `--no-mdns`, `--name`, `--bootstrap`, …, so
 * later runs keep them) and defaults for the rest: listening on all IPv4
 * interfaces on a port picked now and kept, so invites handed out stay valid
 * across restarts.
 */
export async function loadConfigFile (path: string, overrides: ConfigFile = {}): Promise<LoadedConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`${basename(path)}: cannot be read (${(err as Error).message})`, { cause: err })
    }
    const file: ConfigFile = {
      listen: overrides.listen ?? [`/ip4/0.0.0.0/tcp/${await freePort()}`],
      announce: overrides.announce ?? [],
      bootstrap: overrides.bootstrap ?? [],
      api: overrides.api ?? API_DEFAULT,
      logLevel: overrides.logLevel ?? 'warn',
      mdns: overrides.mdns ?? true,
      name: overrides.name ?? '',
      readReceipts: false,
      notify: 'bell',
      ...(overrides.network != null ? { network: overrides.network } : {})
    }
    await writeConfigFile(path, file)
    return { file, created: true }
  }
  return { file: parseConfigFile(text, basename(path)), created: false }
}

/** Writes `config.json` atomically (temporary file, then rename), mode 0600. */
export async function writeConfigFile (path: string, file: ConfigFile): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen({ port: 0, host: '0.0.0.0' }, () => {
      const address = server.address()
      const port = typeof address === 'object' && address != null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

/** Settings that apply to a running daemon at once; the others wait for its next start. */
export const LIVE_SETTINGS: ReadonlySet<keyof ConfigFile> = new Set(['readReceipts', 'notify', 'presenceVisibility'])

/**
 * The fields of `config.json` with defaults filled in, as `natter config` shows them
 * (`eventBufferBytes`, a file-only tuning knob, is not among them).
 */
export function configView (file: ConfigFile): Required<Pick<ConfigFile, 'listen' | 'announce' | 'bootstrap' | 'api' | 'logLevel' | 'mdns' | 'name' | 'readReceipts' | 'notify' | 'presenceVisibility' | 'network' | 'upnp' | 'relayServer'>> {
  return {
    listen: file.listen ?? ['/ip4/0.0.0.0/tcp/0'],
    announce: file.announce ?? [],
    bootstrap: file.bootstrap ?? [],
    api: file.api ?? API_DEFAULT,
    logLevel: file.logLevel ?? 'warn',
    mdns: file.mdns ?? true,
    name: file.name ?? '',
    readReceipts: file.readReceipts ?? false,
    notify: file.notify ?? 'bell',
    presenceVisibility: file.presenceVisibility ?? 'contacts',
    network: file.network ?? 'internet',
    upnp: file.upnp ?? true,
    relayServer: file.relayServer ?? true
  }
}

/** Result of {@link updateConfigFile}. */
export interface ConfigUpdate {
  file: ConfigFile
  /** The keys whose value changed. */
  changed: Array<keyof ConfigFile>
}

/**
 * Validates `patch` (fields of `config.json`), merges it into the file at
 * `path` and writes it atomically. Nothing is written when a field is bad
 * ({@link ConfigError} names it) or nothing changes.
 */
export async function updateConfigFile (path: string, patch: unknown): Promise<ConfigUpdate> {
  const result = ConfigFileSchema.safeParse(patch)
  if (!result.success) {
    throw firstProblem('setting', result.error)
  }
  const { file } = await loadExistingConfigFile(path)
  const next: Record<string, unknown> = { ...file }
  const changed: Array<keyof ConfigFile> = []
  for (const [key, value] of Object.entries(result.data) as Array<[keyof ConfigFile, unknown]>) {
    if (value === undefined) {
      continue
    }
    if (JSON.stringify(next[key]) !== JSON.stringify(value)) {
      changed.push(key)
    }
    next[key] = value
  }
  if (changed.length > 0) {
    await writeConfigFile(path, next as ConfigFile)
  }
  return { file: next as ConfigFile, changed }
}

/** Reads `config.json` without creating it (an empty config when there is none yet). */
export async function loadExistingConfigFile (path: string): Promise<{ file: ConfigFile, exists: boolean }> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { file: {}, exists: false }
    }
    throw new ConfigError(`${basename(path)}: cannot be read (${(err as Error).message})`, { cause: err })
  }
  return { file: parseConfigFile(text, basename(path)), exists: true }
}
