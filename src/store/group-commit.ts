/**
 * Group commit: the hot path's writes of one event-loop turn share one
 * SQLite commit. A grouped write runs at once, inside a write transaction
 * that stays open until the end of the turn (setImmediate); whoever must not
 * act before the write is durable (an envelope leaving, an acknowledgement
 * going out, `send()` resolving) awaits {@link GroupCommit.committed}.
 *
 * Any other write while a group is open commits the group first, so a write
 * outside the hot path is never held back nor made less durable; reads see
 * the group's writes (same connection). If the commit fails, every write of
 * the group is rolled back and every waiter gets the error: nothing that
 * waited on it went out, so the work is simply done again.
 *
 * @module
 */
import type { Db } from './database.js'

/** The group commit of one connection. */
export interface GroupCommit {
  /** Runs `fn` (synchronous) in the open group, as a savepoint: if it throws, only its writes are undone. */
  run<T>(fn: () => T): T
  /** Resolves once every grouped write made so far is committed; rejects if that commit failed. */
  committed(): Promise<void>
  /** Commits the open group now (before another write, or closing). Never throws; waiters get the outcome. */
  flush(): void
  /** Calls `listener` synchronously when a commit fails (after the rollback, before the waiters hear of it); returns its remover. */
  onRollback(listener: () => void): () => void
  /** True while `run` executes (its store calls belong to the group). */
  readonly running: boolean
  /** True while a group transaction is open. */
  readonly open: boolean
}

/** Creates the group commit over `db`; `translate` names a failed commit's error. */
export function createGroupCommit (db: Db, translate: (err: unknown) => unknown): GroupCommit {
  let open = false
  let depth = 0
  let waiters: Array<{ resolve(): void, reject(err: unknown): void }> = []
  const begin = db.prepare('BEGIN IMMEDIATE')
  const commit = db.prepare('COMMIT')
  const rollbackListeners = new Set<() => void>()

  function flush (): void {
    if (!open) {
      return
    }
    open = false
    const settled = waiters
    waiters = []
    try {
      commit.run()
    } catch (err) {
      if (db.inTransaction) {
        try {
          db.exec('ROLLBACK')
        } catch {
          // the connection already ended the transaction
        }
      }
      for (const listener of rollbackListeners) {
        try {
          listener()
        } catch {
          // a listener's failure must not keep the waiters from hearing of the rollback
        }
      }
      const named = translate(err)
      for (const w of settled) w.reject(named)
      return
    }
    for (const w of settled) w.resolve()
  }

  return {
    get running () {
      return depth > 0
    },
    get open () {
      return open
    },
    run (fn) {
      if (!open) {
        if (db.inTransaction) {
          // inside someone else's transaction: simply part of it
          return db.transaction(fn)()
        }
        begin.run()
        open = true
        setImmediate(flush)
      }
      depth++
      try {
        return db.transaction(fn)()
      } finally {
        depth--
      }
    },
    async committed () {
      if (!open) {
        return
      }
      return new Promise<void>((resolve, reject) => { waiters.push({ resolve, reject }) })
    },
    flush,
    onRollback (listener) {
      rollbackListeners.add(listener)
      return () => { rollbackListeners.delete(listener) }
    }
  }
}
