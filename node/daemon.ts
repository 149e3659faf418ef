/**
 * The natter daemon: runs a node from a home directory and serves the local
 * control API the CLI talks to.
 *
 * Start order: home → lock → config → token → passphrase (if the identity
 * key is encrypted) → node → API → endpoint file → rendezvous → banner. A
 * failed start undoes what it started, in reverse, and rethrows. Stop runs
 * the other way: rendezvous, node (announces offline), API (ends event
 * streams, removes the socket), endpoint file, lock.
 *
 * @example
 * ```ts
 * const daemon = await startDaemon({ home: '/tmp/alice', stdout: process.stdout, stderr: process.stderr })
 * process.once('SIGINT', () => { void daemon.stop() })
 * await daemon.stopped
 * ```
 *
 * @module
 */
// first: the library entry installs the Promise.withResolvers polyfill before libp2p loads
import { WrongPassphraseError, createNatter, identityFileStatus } from '../src/index.js'
import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { ensureToken } from './api/auth.js'
import { homeFiles, resolveHome, resolveRendezvousDir } from './api/discovery.js'
import { apiRoutes } from './api/routes/index.js'
import { createApiServer } from './api/server.js'
import { cliCommand, formatBanner, formatBannerJson, shellQuote } from './banner.js'
import { loadConfigFile, parseOverrides, resolveConfig } from './config.js'
import { HomeError, ListenError } from './errors.js'
import { installLastResort } from './last-resort.js'
import { acquireLock } from './lock.js'
import { createLog } from './log.js'
import { createNodeFacade } from './node-api.js'
import { givenPassphrase, requirePassphrase } from './passphrase.js'
import { createRendezvous } from './rendezvous.js'
import type { ApiEndpoint } from './api/discovery.js'
import type { ApiServer } from './api/server.js'
import type { DaemonFaultError } from './last-resort.js'
import type { DaemonLock } from './lock.js'
import type { Rendezvous } from './rendezvous.js'
import type { Natter } from '../src/index.js'
import type { ConfigOverrides, DaemonConfig } from './config.js'
import type { Log } from './log.js'

/** Options of {@link startDaemon}. */
export interface DaemonInit {
  /** `--home`; see `resolveHome` for the fallbacks. */
  home?: string
  /** Flags overriding `config.json`. @default {} */
  overrides?: ConfigOverrides
  /** Environment (home, rendezvous dir). @default process.env */
  env?: NodeJS.ProcessEnv
  /** Where the banner goes. */
  stdout: NodeJS.WritableStream
  /** Where log lines go. */
  stderr: NodeJS.WritableStream
  /** Print the banner as one JSON document. @default false */
  json?: boolean
  /** `--passphrase-file`: holds the identity key's passphrase (before `NATTER_PASSPHRASE` and the prompt). */
  passphraseFile?: string
  /**
   * Asks for the passphrase of an encrypted identity key without echo; left
   * out when there is no terminal (the daemon then refuses to start, saying
   * how to give it). Never called for an unencrypted or a new key.
   */
  askPassphrase?: (prompt: string) => Promise<string>
  /**
   * Install the last-resort `unhandledRejection` / `uncaughtException`
   * handlers (see last-resort.ts): for the process that runs the daemon, not
   * for one that embeds it among other work.
   * @default false
   */
  handleProcessFaults?: boolean
  /**
   * `--new-store`: begin with a new, empty store when the identity key exists
   * but natter.db is missing or empty (otherwise `StoreMissingError`).
   * @default false
   */
  newStore?: boolean
}

/** A running daemon. */
export interface Daemon {
  readonly peerId: string
  readonly home: string
  readonly config: DaemonConfig
  readonly endpoint: ApiEndpoint
  /** Stops everything, in reverse start order. Idempotent; resolves when done. */
  stop(): Promise<void>
  /** Resolves once the daemon has stopped, however that was asked for (API, signal, {@link stop}). */
  readonly stopped: Promise<void>
  /** Set when the daemon stopped itself after a fault it could not carry on from. */
  readonly fault: DaemonFaultError | undefined
}

async function writePrivateFile (path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' })
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/** Starts a daemon. Throws `ConfigError`, `DaemonRunningError`, `HomeError` or the library's start errors. */
export async function startDaemon (init: DaemonInit): Promise<Daemon> {
  const env = init.env ?? process.env
  const home = resolveHome({ home: init.home, env })
  const files = homeFiles(home)
  const overrides = parseOverrides(init.overrides ?? {})
  let log: Log = createLog({ level: 'warn', stream: init.stderr })

  // what has been started so far, stopped in this order (the node first: it announces offline)
  let lock: DaemonLock | undefined
  let natter: Natter | undefined
  let api: ApiServer | undefined
  let endpointWritten = false
  let rendezvous: Rendezvous | undefined
  let unsubscribeKeyChanges: (() => void) | undefined
  let uninstallLastResort: (() => void) | undefined
  const unwind = async (): Promise<void> => {
    const node = natter
    unsubscribeKeyChanges?.()
    uninstallLastResort?.()
    uninstallLastResort = undefined
    unsubscribeKeyChanges = undefined
    const steps: Array<[string, (() => Promise<void>) | undefined]> = [
      ['rendezvous', rendezvous?.stop],
      ['node', node == null ? undefined : async () => { await node.stop() }],
      ['control API', api?.stop],
      ['endpoint file', endpointWritten ? async () => { await rm(files.endpoint, { force: true }) } : undefined],
      ['lock', lock?.release]
    ]
    rendezvous = undefined
    natter = undefined
    api = undefined
    endpointWritten = false
    lock = undefined
    for (const [what, step] of steps) {
      if (step != null) {
        log.debug('stopping the %s', what)
        await step().catch(err => { log.warn('while stopping the %s: %s', what, (err as Error).message) })
      }
    }
  }

  try {
    try {
      await mkdir(home, { recursive: true, mode: 0o700 })
    } catch (err) {
      throw new HomeError(`cannot create the home directory ${home}: ${(err as Error).message}`, { cause: err })
    }
    lock = await acquireLock(files.lock)

    const { file, created } = await loadConfigFile(files.config, overrides)
    const config = resolveConfig(file, overrides, home)
    log = createLog({ level: config.logLevel, stream: init.stderr })
    const token = await ensureToken(files.token)

    // an encrypted key needs its passphrase (file, environment or prompt); a new key is encrypted
    // when one is given (file or environment: a first start never prompts)
    const sources = { file: init.passphraseFile, env, ask: init.askPassphrase }
    const keyStatus = await identityFileStatus(home)
    const passphrase = keyStatus === 'encrypted' ? await requirePassphrase(sources, files.identity) : await givenPassphrase(sources)
    if (keyStatus === 'plain' && passphrase != null) {
      log.warn('%s is not encrypted, so the passphrase from %s is not used; encrypt it with `natter passphrase set` (daemon stopped)', files.identity, passphrase.source)
    }

    const node = natter = await createNatter({
      ...config.options,
      dataDir: home,
      listen: config.listen,
      announce: config.announce,
      bootstrap: config.bootstrap,
      mdns: config.mdns,
      newStore: init.newStore === true,
      readReceipts: config.readReceipts,
      passphrase: keyStatus === 'plain' ? undefined : passphrase?.passphrase
    }).catch((err: Error) => {
      if (err.name === 'WrongPassphraseError') {
        const from = passphrase == null ? '' : ` (from ${passphrase.source})`
        throw new WrongPassphraseError(`wrong passphrase for ${files.identity}${from}, or the file is damaged; nothing was changed`, { cause: err })
      }
      if (err.name === 'UnsupportedListenAddressesError') {
        // libp2p's message suggests its own options; say which of ours to change
        const why = err.message.split('\n')
          .map(line => /^\s+(\/\S+): (?:\w*Error: )?(.*)$/.exec(line))
          .filter(m => m != null)
          .map(m => `${m[1]}: ${m[2]}`)
          .join('; ')
        throw new ListenError(`cannot listen on ${config.listen.join(', ')}${why === '' ? '' : ` (${why})`}; change "listen" in ${files.config} or pass --listen`, { cause: err })
      }
      throw err
    })
    const facade = createNodeFacade(node)
    log.info('node %s listening on %s', node.peerId, node.addresses.join(', '))
    unsubscribeKeyChanges = facade.subscribe(event => {
      if (event.type === 'contact:key-changed') {
        const name = event.contact.name
        const natter = init.home == null ? 'natter' : `natter --home ${shellQuote(init.home)}`
        const q = shellQuote(name)
        log.warn('IDENTITY KEY CHANGED for contact %s: known as %s, now presented as %s. This may be a reinstall, or someone impersonating them. Messages to %s are held until `%s contacts accept-key %s` (or `reject-key %s`); compare safety numbers first with `%s verify %s --pending`',
          name, event.peerId, event.newPeerId, name, natter, q, q, natter, q)
      }
      if (event.type === 'storage') {
        if (event.storage.state === 'read-only') {
          log.warn('STORAGE READ-ONLY: the store cannot take writes (%s). The daemon keeps running: history can be read, peers are told to try later, nothing stored is lost. Free some disk space; it resumes by itself.', event.storage.reason ?? 'the disk refused a write')
        } else {
          log.warn('storage writable again: taking messages')
        }
      }
    })

    let fault: DaemonFaultError | undefined
    if (init.handleProcessFaults === true) {
      uninstallLastResort = installLastResort({
        log,
        fatal: (err) => {
          fault = err
          void stop()
        }
      })
    }
    let stopping: Promise<void> | undefined
    let resolveStopped!: () => void
    const stopped = new Promise<void>(resolve => { resolveStopped = resolve })
    const stop = async (): Promise<void> => {
      stopping ??= (async () => {
        log.info('stopping')
        await unwind()
        resolveStopped()
      })()
      return stopping
    }

    const server = api = createApiServer({
      address: config.api,
      token,
      log,
      routes: apiRoutes({
        facade,
        home,
        name: config.name,
        log,
        eventBufferBytes: config.eventBufferBytes,
        requestStop: () => { void stop() },
        configPath: files.config,
        applyConfig: (next) => {
          facade.setReadReceipts(next.readReceipts ?? false)
          facade.setPresenceVisibility(next.presenceVisibility ?? 'contacts').catch((err: Error) => { log.error('presence visibility not applied: %s', err.message) })
        }
      })
    })
    let endpoint: ApiEndpoint
    try {
      endpoint = await server.start()
    } catch (err) {
      throw new HomeError(`cannot listen for the control API on ${config.api.transport === 'unix' ? config.api.path : `${config.api.host}:${config.api.port}`}: ${(err as Error).message}`, { cause: err })
    }
    endpointWritten = true
    await writePrivateFile(files.endpoint, JSON.stringify(endpoint) + '\n')

    const rendezvousDir = resolveRendezvousDir(env)
    const discovery = createRendezvous({
      peerId: node.peerId,
      addresses: () => node.addresses,
      connectedPeers: () => node.connectedPeers,
      dial: async (address, options) => { await node.connect(address, options) }
    }, { dir: rendezvousDir, log })
    try {
      await discovery.start()
      rendezvous = discovery
    } catch (err) {
      await discovery.stop()
      log.warn('same-machine rendezvous disabled: %s', (err as Error).message)
    }

    const banner = {
      peerId: node.peerId,
      addresses: node.addresses,
      api: endpoint,
      home,
      created,
      newIdentity: keyStatus === 'missing',
      encrypted: keyStatus === 'encrypted' || (keyStatus === 'missing' && passphrase != null),
      mdns: config.mdns,
      rendezvousDir,
      homeFlag: init.home,
      listen: config.listen,
      reachability: await settledReachability(node),
      ...cliCommand(env)
    }
    init.stdout.write(init.json === true ? formatBannerJson(banner) : formatBanner(banner))

    return { peerId: node.peerId, home, config, endpoint, stop, stopped, get fault () { return fault } }
  } catch (err) {
    await unwind()
    throw err
  }
}

/** Longest wait for a relay reservation or a confirmed address before the banner says how reachable the node is. */
const REACHABILITY_WAIT_MS = 8000
/** How long the banner waits when the node has no peer at all (its bootstrap dials are still going). */
const REACHABILITY_NO_PEER_MS = 1500
/** Poll period of that wait. */
const REACHABILITY_POLL_MS = 200

/**
 * The node's reachability once it settles: on the internet with peers to ask, a
 * relay reservation or AutoNAT's confirmation comes within seconds; the banner
 * waits for it (at most {@link REACHABILITY_WAIT_MS}) rather than warn too early.
 */
async function settledReachability (node: Natter): Promise<Natter['reachability']> {
  for (let waited = 0; waited < REACHABILITY_WAIT_MS; waited += REACHABILITY_POLL_MS) {
    const r = node.reachability
    // with no peer after a moment (bootstrap dials done or none), nothing will confirm anything soon
    if (r.state !== 'none' || (node.connectedPeers.length === 0 && waited >= REACHABILITY_NO_PEER_MS)) {
      return r
    }
    await new Promise(resolve => setTimeout(resolve, REACHABILITY_POLL_MS))
  }
  return node.reachability
}
