/**
 * Where a daemon lives and how a client finds its control API: the home
 * directory, the files in it, and the endpoint file the daemon writes while it
 * runs. Shared by the daemon and the CLI client (the CLI imports nothing else
 * from `node/` except the daemon command's startup, the offline key operations
 * of `keys.ts` and `passphrase.ts`, and the API types).
 *
 * @module
 */
import { homedir, tmpdir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'

/** Options of {@link resolveHome}. */
export interface ResolveHomeOptions {
  /** `--home` as given on the command line. */
  home?: string
  /** The environment. @default process.env */
  env?: NodeJS.ProcessEnv
}

/**
 * The daemon's home directory: `--home`, else `$NATTER_HOME`, else
 * `$XDG_DATA_HOME/natter`, else `~/.local/share/natter`. Always absolute.
 */
export function resolveHome (options: ResolveHomeOptions = {}): string {
  const env = options.env ?? process.env
  if (options.home != null && options.home !== '') {
    return resolve(options.home)
  }
  if (env.NATTER_HOME != null && env.NATTER_HOME !== '') {
    return resolve(env.NATTER_HOME)
  }
  const xdg = env.XDG_DATA_HOME
  // the XDG spec says relative values are invalid and must be ignored
  if (xdg != null && xdg !== '' && isAbsolute(xdg)) {
    return join(xdg, 'natter')
  }
  return join(homedir(), '.local', 'share', 'natter')
}

/**
 * The machine-local rendezvous directory daemons announce themselves in:
 * `$NATTER_RENDEZVOUS_DIR`, else `$XDG_RUNTIME_DIR/natter/peers`, else
 * `<tmpdir>/natter-<uid>/peers`.
 */
export function resolveRendezvousDir (env: NodeJS.ProcessEnv = process.env): string {
  if (env.NATTER_RENDEZVOUS_DIR != null && env.NATTER_RENDEZVOUS_DIR !== '') {
    return resolve(env.NATTER_RENDEZVOUS_DIR)
  }
  const runtime = env.XDG_RUNTIME_DIR
  if (runtime != null && runtime !== '' && isAbsolute(runtime)) {
    return join(runtime, 'natter', 'peers')
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user'
  return join(tmpdir(), `natter-${uid}`, 'peers')
}

/** The files a daemon keeps in its home. */
export interface HomeFiles {
  /** `config.json`: listen addresses, bootstrap peers, API address, log level, mdns. */
  config: string
  /** `daemon.lock`: the running daemon's pid; one daemon per home. */
  lock: string
  /** `api.token`: the control API's bearer token (mode 0600). */
  token: string
  /** `api.sock`: the default control API socket (mode 0600). */
  socket: string
  /** `api.json`: where the running daemon's API listens ({@link ApiEndpoint}); removed on stop. */
  endpoint: string
  /** `identity.key`: the node's identity key (the library's file; encrypted when it has a passphrase). */
  identity: string
}

/** Paths of the files in `home`. */
export function homeFiles (home: string): HomeFiles {
  return {
    config: join(home, 'config.json'),
    lock: join(home, 'daemon.lock'),
    token: join(home, 'api.token'),
    socket: join(home, 'api.sock'),
    endpoint: join(home, 'api.json'),
    identity: join(home, 'identity.key')
  }
}

/** Where a running daemon's control API listens, as written to `api.json`. */
export type ApiEndpoint =
  | { transport: 'unix', path: string, pid: number }
  | { transport: 'tcp', host: string, port: number, pid: number }

/** `unix:/path` or `http://host:port`, for messages. */
export function formatEndpoint (endpoint: ApiEndpoint): string {
  if (endpoint.transport === 'unix') {
    return `unix:${endpoint.path}`
  }
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host
  return `http://${host}:${endpoint.port}`
}

/** Parses the contents of `api.json`; undefined when it is not a valid endpoint. */
export function parseEndpoint (text: string): ApiEndpoint | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value == null) {
    return undefined
  }
  const v = value as Record<string, unknown>
  if (typeof v.pid !== 'number') {
    return undefined
  }
  if (v.transport === 'unix' && typeof v.path === 'string') {
    return { transport: 'unix', path: v.path, pid: v.pid }
  }
  if (v.transport === 'tcp' && typeof v.host === 'string' && typeof v.port === 'number') {
    return { transport: 'tcp', host: v.host, port: v.port, pid: v.pid }
  }
  return undefined
}
