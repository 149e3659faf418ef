/**
 * When to look in this node's mailboxes besides the periodic fetch (issue 12,
 * PROTOCOL.md §9.6): when a contact comes online. A contact that could not
 * reach this node (no relay yet, both behind NATs, this node offline) left
 * its messages with mailbox peers; its presence says it is around again, so
 * what it deposited is fetched now rather than at the next period (60 s).
 *
 * Listens to the node's public `presence` event only: it knows nothing of how
 * presence is carried.
 *
 * @module
 */
import { guard } from '../util/guard.js'
import type { Logger } from '@libp2p/interface'

/** Fewest ms between two fetches this trigger starts (several contacts may come online at once). */
export const PRESENCE_FETCH_MIN_INTERVAL_MS = 2000
/** Most peers whose last status is remembered (oldest forgotten first). */
export const PRESENCE_TRIGGER_MAX_PEERS = 1024

/** What the trigger needs. */
export interface MailboxTriggersComponents {
  /** Fetches this node's own mailboxes; resolves with how many messages came. */
  fetch(): Promise<number>
  isContact(peer: string): boolean
  log: Logger
  now?: () => number
}

/** Mailbox check triggers. */
export interface MailboxTriggers {
  /** A presence event: a contact's status, `offline` or another. */
  onPresence(p: { peerId: string, status: string }): void
}

/** Creates the trigger; feed it the node's `presence` events. */
export function createMailboxTriggers (components: MailboxTriggersComponents): MailboxTriggers {
  const { log } = components
  const now = components.now ?? Date.now
  // last status seen per peer, in insertion order (bounded)
  const last = new Map<string, string>()
  let lastFetch = -Infinity
  let fetching: Promise<unknown> | undefined

  const fetchSoon = (why: string): void => {
    const t = now()
    if (fetching != null || t - lastFetch < PRESENCE_FETCH_MIN_INTERVAL_MS) {
      return
    }
    lastFetch = t
    log('fetching mailboxes: %s', why)
    fetching = components.fetch()
      .then(n => { log('fetched %d messages from mailboxes (%s)', n, why) })
      .catch(err => { log('mailbox fetch (%s) failed: %s', why, (err as Error).message) })
      .finally(() => { fetching = undefined })
  }

  return {
    onPresence: guard(log, 'mailbox presence trigger', (p: { peerId: string, status: string }): void => {
      if (!components.isContact(p.peerId)) {
        return
      }
      const before = last.get(p.peerId)
      last.delete(p.peerId)
      last.set(p.peerId, p.status)
      while (last.size > PRESENCE_TRIGGER_MAX_PEERS) {
        last.delete(last.keys().next().value as string)
      }
      if (p.status !== 'offline' && (before == null || before === 'offline')) {
        fetchSoon(`contact ${p.peerId} came online`)
      }
    })
  }
}
