/**
 * Read-only mode for a store whose disk cannot take writes. The first write
 * that fails with a storage fault (disk full, read-only file system, I/O
 * error) switches the monitor to `read-only`: the host says so loudly and
 * answers peers "try later" without touching the disk; a small probe write,
 * retried every `probeIntervalMs`, switches it back to `ok` once space returns.
 * Nothing already committed is touched, so nothing accepted before is lost.
 *
 * @module
 */

import { isStorageFault } from './faults.js'
import type { StoreError } from './errors.js'

/** Default for {@link StorageHealthInit.probeIntervalMs}. */
export const STORAGE_PROBE_INTERVAL_DEFAULT = 2_000

/** The store's writability, as the node reports it. */
export interface StorageStatus {
  /** `ok`: writes work. `read-only`: the disk refused a write; reads still work, writes are refused until a probe succeeds. */
  readonly state: 'ok' | 'read-only'
  /** With `read-only`: the failure that caused it (e.g. `SQLITE_FULL: database or disk is full`). */
  readonly reason?: string
  /** When the current state began, ms since the epoch. */
  readonly since: number
}

/** Watches store faults and probes for recovery. */
export interface StorageHealth {
  /** Reports an error from a store call; a storage fault switches to read-only. Never throws. */
  report(err: unknown): void
  /** The current status. */
  status(): StorageStatus
  /** While read-only: the delay to suggest to senders before they retry, in ms; `undefined` when writable. */
  retryAfterMs(): number | undefined
  /** Stops the probe timer. */
  stop(): void
}

/** What the monitor needs. */
export interface StorageHealthComponents {
  /** A small write that succeeds only when the disk takes writes again; throws otherwise. */
  probe(): void
  /** Called on every change of state. Must not throw. */
  onChange(status: StorageStatus): void
}

/** Options of {@link createStorageHealth}. */
export interface StorageHealthInit {
  /** How often a read-only store tries a write, in ms. @default 2000 */
  probeIntervalMs?: number
  /** Clock. @default Date.now */
  now?(): number
}

/** Creates the monitor; it starts `ok` and holds no timer until a fault. */
export function createStorageHealth (components: StorageHealthComponents, init: StorageHealthInit = {}): StorageHealth {
  const probeIntervalMs = init.probeIntervalMs ?? STORAGE_PROBE_INTERVAL_DEFAULT
  const now = init.now ?? Date.now
  let status: StorageStatus = { state: 'ok', since: now() }
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false

  const change = (next: StorageStatus): void => {
    status = next
    try {
      components.onChange(next)
    } catch {
      // the host's listener failing must not stop the monitor
    }
  }

  const probe = (): void => {
    timer = undefined
    if (stopped || status.state === 'ok') {
      return
    }
    try {
      components.probe()
    } catch (err) {
      if (isStorageFault(err) || (err as Error).name === 'StoreBusyError') {
        arm()
        return
      }
      // anything else (the store closed at shutdown): stop probing
      return
    }
    change({ state: 'ok', since: now() })
  }

  const arm = (): void => {
    if (timer == null && !stopped) {
      timer = setTimeout(probe, probeIntervalMs)
      timer.unref?.()
    }
  }

  return {
    report (err) {
      if (stopped || !isStorageFault(err)) {
        return
      }
      if (status.state === 'ok') {
        const e = err as StoreError
        change({ state: 'read-only', reason: `${e.code ?? 'storage fault'}: ${e.message}`, since: now() })
      }
      arm()
    },
    status () {
      return status
    },
    retryAfterMs () {
      return status.state === 'ok' ? undefined : probeIntervalMs
    },
    stop () {
      stopped = true
      clearTimeout(timer)
      timer = undefined
    }
  }
}
