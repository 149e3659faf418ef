/**
 * One daemon per home: `<home>/daemon.lock`, created with O_EXCL and holding
 * the owner's pid. A lock whose pid is no longer alive (a daemon that was
 * killed) is recovered.
 *
 * @module
 */
import { link, open, readFile, rename, rm } from 'node:fs/promises'
import { DaemonRunningError, HomeError } from './errors.js'

/** A held lock. */
export interface DaemonLock {
  readonly path: string
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>
}

/** Options of {@link acquireLock}. */
export interface AcquireLockOptions {
  /** The pid to record. @default process.pid */
  pid?: number
  /** Liveness check, replaceable in tests. @default signal 0 */
  isAlive?(pid: number): boolean
}

/** Whether a process with this pid exists (EPERM means it does, owned by someone else). */
export function isProcessAlive (pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) {
    return false
  }
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readPid (path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8')
  const pid = Number.parseInt(text.trim(), 10)
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/**
 * Takes the lock, or throws {@link DaemonRunningError} naming the pid that
 * holds it. A stale lock is moved aside atomically before it is removed, so
 * two daemons recovering the same stale lock cannot both win.
 */
export async function acquireLock (path: string, options: AcquireLockOptions = {}): Promise<DaemonLock> {
  const pid = options.pid ?? process.pid
  const isAlive = options.isAlive ?? isProcessAlive

  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600)
      try {
        await handle.writeFile(`${pid}\n`)
      } finally {
        await handle.close()
      }
      return ownLock(path, pid)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EEXIST') {
        throw new HomeError(`cannot create the lock file ${path}: ${(err as Error).message}`, { cause: err })
      }
    }

    let holder: number | undefined
    try {
      holder = await readPid(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        continue // released between our open and read
      }
      throw new HomeError(`cannot read the lock file ${path}: ${(err as Error).message}`, { cause: err })
    }
    if (holder == null) {
      // created but not yet written by a daemon starting right now, or garbage: look again shortly
      await new Promise(resolve => setTimeout(resolve, 50))
      holder = await readPid(path).catch(() => undefined)
    }
    if (holder != null && holder !== pid && isAlive(holder)) {
      throw new DaemonRunningError(`a natter daemon (pid ${holder}) is already running on this home (lock: ${path}); stop it with \`natter stop\``, { pid: holder })
    }
    // stale: move it aside, and check what we moved is still the stale lock
    const aside = `${path}.stale.${pid}`
    try {
      await rename(path, aside)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        continue
      }
      throw new HomeError(`cannot remove the stale lock file ${path}: ${(err as Error).message}`, { cause: err })
    }
    const moved = await readPid(aside).catch(() => undefined)
    if (moved != null && moved !== holder && moved !== pid && isAlive(moved)) {
      // another daemon took the lock between our read and rename: put it back
      await link(aside, path).catch(() => {})
      await rm(aside, { force: true })
      throw new DaemonRunningError(`a natter daemon (pid ${moved}) is already running on this home (lock: ${path})`, { pid: moved })
    }
    await rm(aside, { force: true })
  }
  throw new HomeError(`cannot take the lock ${path}: it keeps changing under us`)
}

function ownLock (path: string, pid: number): DaemonLock {
  let released = false
  return {
    path,
    async release () {
      if (released) {
        return
      }
      released = true
      const holder = await readPid(path).catch(() => undefined)
      if (holder === pid) {
        await rm(path, { force: true })
      }
    }
  }
}
