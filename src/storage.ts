/**
 * The node's store and its health monitor, set up together: the monitor
 * exists before the store (which reports its faults to it) and before the
 * node (which it tells when the store turns read-only or writable again).
 *
 * @module
 */
import { join } from 'node:path'
import { createStorageHealth } from './store/health.js'
import { openStore } from './store/index.js'
import type { NatterInit } from './init.js'
import type { StorageHealth, StorageStatus } from './store/health.js'
import type { Store } from './store/index.js'
import type { ComponentLogger } from '@libp2p/interface'

/** Settings key of the read-only store's probe write. */
export const STORAGE_PROBE_SETTING = 'storage-probe'
/** Default of `NatterInit.storeBusyTimeoutMs`, in ms. */
export const STORE_BUSY_TIMEOUT_MS = 250

/** A store with its health monitor. */
export interface NodeStorage {
  store: Store
  health: StorageHealth
  /** Where health changes go from now on (the node, once it exists). */
  tell(onChange: (status: StorageStatus) => void): void
}

/** Opens the store in `dataDir` (or takes `init.store`) with a health monitor. */
export function openNodeStorage (init: NatterInit, logger: ComponentLogger): NodeStorage {
  let listener: ((status: StorageStatus) => void) | undefined
  // the probe may only run once the store is open: until then there is nothing to probe
  const opened: { store?: Store } = {}
  const health = createStorageHealth({
    // a small real write: it succeeds only when the disk takes writes again
    probe: () => { opened.store?.settings.set(STORAGE_PROBE_SETTING, Date.now()) },
    onChange: (status) => { listener?.(status) }
  }, { probeIntervalMs: init.storageProbeIntervalMs })
  const store = init.store ?? openStore({
    path: join(init.dataDir as string, 'natter.db'),
    durability: init.durability,
    mailbox: init.mailboxQuotas,
    logger,
    busyTimeout: init.storeBusyTimeoutMs ?? STORE_BUSY_TIMEOUT_MS,
    onFault: (err) => { health.report(err) }
  })
  opened.store = store
  return { store, health, tell: (onChange) => { listener = onChange } }
}
