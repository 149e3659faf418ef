/**
 * Starting and stopping a set of services in order, as libp2p's own start
 * does: each starts after the one before; a failed start stops what already
 * started (in reverse) and rethrows; stopping goes in reverse order, and one
 * service failing to stop does not keep the others running.
 *
 * @module
 */
import type { Logger } from '@libp2p/interface'

/** A long-lived part that starts and stops (both idempotent). */
export interface Startable {
  start(): void | Promise<void>
  stop(): void | Promise<void>
}

/** Starts `services` one after another; on failure stops the started ones in reverse and rethrows. */
export async function startAll (services: readonly Startable[]): Promise<void> {
  const started: Startable[] = []
  try {
    for (const service of services) {
      await service.start()
      started.push(service)
    }
  } catch (err) {
    await stopAll(started)
    throw err
  }
}

/** Stops `services` in reverse order; a failing stop is logged and the rest still stop. */
export async function stopAll (services: readonly Startable[], log?: Pick<Logger, 'error'>): Promise<void> {
  for (const service of [...services].reverse()) {
    try {
      await service.stop()
    } catch (err) {
      log?.error('a service failed to stop: %s', (err as Error).message)
    }
  }
}
