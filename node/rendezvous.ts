/**
 * Same-machine discovery without multicast: every daemon writes
 * `{ peerId, addresses, pid }` into a machine-local directory (see
 * `resolveRendezvousDir`), removes it on stop, and periodically dials the
 * other live entries on their loopback addresses. Two daemons on one machine
 * thus find each other with no configuration and no network traffic beyond
 * loopback.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { watch } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isProcessAlive } from './lock.js'
import { silentLog } from './log.js'
import type { Log } from './log.js'
import type { FSWatcher } from 'node:fs'

/** What a daemon publishes about itself. */
export interface RendezvousEntry {
  peerId: string
  addresses: string[]
  pid: number
}

/** What the rendezvous needs from the node. */
export interface RendezvousComponents {
  peerId: string
  /** The node's current multiaddrs (ending in `/p2p/<peerId>`). */
  addresses(): string[]
  connectedPeers(): string[]
  /** Dials a multiaddr ending in `/p2p/<peerId>`. */
  dial(address: string, options: { signal: AbortSignal }): Promise<void>
}

/** Options of {@link createRendezvous}. */
export interface RendezvousInit {
  /** The rendezvous directory; created (mode 0700) if missing. */
  dir: string
  /** How often to look for new entries, in ms. @default 5000 */
  intervalMs?: number
  /** How long one dial may take, in ms. @default 5000 */
  dialTimeoutMs?: number
  /** @default silent */
  log?: Log
}

/** A running rendezvous. */
export interface Rendezvous {
  /** Publishes this node's entry and starts scanning. Idempotent. */
  start(): Promise<void>
  /** Stops scanning and removes this node's entry. Idempotent. */
  stop(): Promise<void>
  /** Dials every live entry not connected yet; resolves when all attempts settled. */
  scan(): Promise<void>
}

const INTERVAL_DEFAULT = 5_000
const DIAL_TIMEOUT_DEFAULT = 5_000

/** True for multiaddrs on 127.0.0.0/8 or ::1: the only ones a same-machine rendezvous dials. */
export function isLoopbackAddress (address: string): boolean {
  return /^\/ip4\/127\.\d+\.\d+\.\d+\//.test(address) || address.startsWith('/ip6/::1/')
}

function parseEntry (text: string): RendezvousEntry | undefined {
  try {
    const v = JSON.parse(text) as Partial<RendezvousEntry>
    if (typeof v.peerId === 'string' && typeof v.pid === 'number' && Array.isArray(v.addresses) &&
      v.addresses.every(a => typeof a === 'string')) {
      return { peerId: v.peerId, pid: v.pid, addresses: v.addresses }
    }
  } catch {
    // a half-written or foreign file: ignore it
  }
  return undefined
}

/** Creates the rendezvous for one node. */
export function createRendezvous (components: RendezvousComponents, init: RendezvousInit): Rendezvous {
  const log = init.log ?? silentLog
  const intervalMs = init.intervalMs ?? INTERVAL_DEFAULT
  const dialTimeoutMs = init.dialTimeoutMs ?? DIAL_TIMEOUT_DEFAULT
  const own = join(init.dir, `${components.peerId}.json`)
  let timer: ReturnType<typeof setInterval> | undefined
  let watcher: FSWatcher | undefined
  let rescan = false
  let scanning: Promise<void> | undefined
  let published = ''
  let controller: AbortController | undefined

  const publish = async (): Promise<void> => {
    const entry: RendezvousEntry = {
      peerId: components.peerId,
      addresses: components.addresses().filter(isLoopbackAddress),
      pid: process.pid
    }
    const text = JSON.stringify(entry)
    if (text === published) {
      return
    }
    const tmp = `${own}.${randomBytes(4).toString('hex')}.tmp`
    await writeFile(tmp, text, { mode: 0o600 })
    await rename(tmp, own)
    published = text
  }

  const dialEntry = async (entry: RendezvousEntry, signal: AbortSignal): Promise<void> => {
    for (const address of entry.addresses.filter(isLoopbackAddress)) {
      if (!address.endsWith(`/p2p/${entry.peerId}`)) {
        continue
      }
      try {
        await components.dial(address, { signal: AbortSignal.any([signal, AbortSignal.timeout(dialTimeoutMs)]) })
        log.info('rendezvous: connected to %s', entry.peerId)
        return
      } catch (err) {
        log.debug('rendezvous: dialling %s failed: %s', address, (err as Error).message)
        if (signal.aborted) {
          return
        }
      }
    }
  }

  const scanOnce = async (signal: AbortSignal): Promise<void> => {
    await publish().catch(err => { log.warn('rendezvous: cannot write %s: %s', own, (err as Error).message) })
    let names: string[]
    try {
      names = await readdir(init.dir)
    } catch (err) {
      log.warn('rendezvous: cannot read %s: %s', init.dir, (err as Error).message)
      return
    }
    const connected = new Set(components.connectedPeers())
    const dials: Array<Promise<void>> = []
    for (const name of names) {
      if (!name.endsWith('.json') || name === `${components.peerId}.json`) {
        continue
      }
      if (connected.has(name.slice(0, -'.json'.length))) {
        // an entry is named after its peer id: a peer already connected costs
        // no file read, so an idle scan among many daemons is one readdir
        continue
      }
      const path = join(init.dir, name)
      const entry = parseEntry(await readFile(path, 'utf8').catch(() => ''))
      if (entry == null || entry.peerId === components.peerId) {
        continue
      }
      if (!isProcessAlive(entry.pid)) {
        // left by a daemon that was killed
        await rm(path, { force: true })
        continue
      }
      if (!connected.has(entry.peerId)) {
        dials.push(dialEntry(entry, signal))
      }
    }
    await Promise.all(dials)
  }

  const rendezvous: Rendezvous = {
    async start () {
      if (timer != null) {
        return
      }
      await mkdir(init.dir, { recursive: true, mode: 0o700 })
      controller = new AbortController()
      await publish()
      timer = setInterval(() => { void rendezvous.scan() }, intervalMs)
      timer.unref()
      try {
        // a daemon that starts later is dialled at once (the interval is the fallback)
        watcher = watch(init.dir, { persistent: false }, (_event, name) => {
          if (name != null && name.endsWith('.json') && name !== `${components.peerId}.json`) {
            void rendezvous.scan()
          }
        })
        watcher.on('error', (err) => { log.debug('rendezvous: watching %s failed: %s', init.dir, err.message) })
      } catch (err) {
        log.debug('rendezvous: cannot watch %s: %s', init.dir, (err as Error).message)
      }
      void rendezvous.scan()
    },
    async stop () {
      if (timer == null) {
        return
      }
      clearInterval(timer)
      timer = undefined
      watcher?.close()
      watcher = undefined
      controller?.abort()
      await scanning
      await rm(own, { force: true })
      published = ''
    },
    async scan () {
      const signal = controller?.signal
      if (signal == null || signal.aborted) {
        return
      }
      if (scanning != null) {
        // an entry may have appeared after the running scan read the directory
        rescan = true
        return scanning
      }
      scanning = (async () => {
        do {
          rescan = false
          await scanOnce(signal)
        } while (rescan && !signal.aborted)
      })().finally(() => { scanning = undefined })
      return scanning
    }
  }
  return rendezvous
}
