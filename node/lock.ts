/**
 * One daemon per home: `<home>/daemon.lock`, created with O_EXCL and holding
 * the owner's pid and, where `/proc` exists, its start time (clock ticks since
 * boot). A lock whose pid is no longer alive (a daemon that was killed) is
 * recovered, and so is one whose pid now belongs to another process (a reused
 * pid, or a lock copied from another machine naming, say, pid 1): the start
 * time no longer matches, or, for a lock without one, the process is not natter.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
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
  /** Start time of a process (undefined when unknown), replaceable in tests. @default from /proc/<pid>/stat */
  startTimeOf?(pid: number): string | undefined
  /** Command line of a process (undefined when unknown), replaceable in tests. @default from /proc/<pid>/cmdline */
  commandOf?(pid: number): string | undefined
}

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined off Linux. */
export function processStartTime (pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) may hold spaces and parentheses: count fields after its last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19]
  } catch {
    return undefined
  }
}

/** A process's command line, arguments joined by spaces, or undefined when /proc cannot tell. */
export function processCommand (pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
  } catch {
    return undefined
  }
}

interface LockHolder {
  pid: number
  /** Absent in locks written by older versions, or where /proc does not exist. */
  startTime?: string
}

/**
 * Whether the lock's holder is still the process that wrote it: alive, and
 * with the start time it recorded (or, for a lock without one, a process
 * whose command line mentions natter). Where /proc cannot tell, a live pid
 * counts as the holder.
 */
function holds (holder: LockHolder, options: Required<Pick<AcquireLockOptions, 'isAlive' | 'startTimeOf' | 'commandOf'>>): boolean {
  if (!options.isAlive(holder.pid)) {
    return false
  }
  if (holder.startTime != null) {
    const now = options.startTimeOf(holder.pid)
    return now == null || now === holder.startTime
  }
  const command = options.commandOf(holder.pid)
  return command == null || /natter/i.test(command)
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

async function readHolder (path: string): Promise<LockHolder | undefined> {
  const [first, second] = (await readFile(path, 'utf8')).split('\n')
  const pid = Number.parseInt((first ?? '').trim(), 10)
  if (!Number.isInteger(pid) || pid <= 0) {
    return undefined
  }
  const startTime = second?.trim()
  return startTime == null || startTime === '' ? { pid } : { pid, startTime }
}

async function readPid (path: string): Promise<number | undefined> {
  return (await readHolder(path))?.pid
}

/**
 * Takes the lock, or throws {@link DaemonRunningError} naming the pid that
 * holds it. A stale lock is moved aside atomically before it is removed, so
 * two daemons recovering the same stale lock cannot both win.
 */
export async function acquireLock (path: string, options: AcquireLockOptions = {}): Promise<DaemonLock> {
  const pid = options.pid ?? process.pid
  const checks = {
    isAlive: options.isAlive ?? isProcessAlive,
    startTimeOf: options.startTimeOf ?? processStartTime,
    commandOf: options.commandOf ?? processCommand
  }
  const ownStart = checks.startTimeOf(pid)

  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600)
      try {
        await handle.writeFile(ownStart == null ? `${pid}\n` : `${pid}\n${ownStart}\n`)
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

    let found: LockHolder | undefined
    try {
      found = await readHolder(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        continue // released between our open and read
      }
      throw new HomeError(`cannot read the lock file ${path}: ${(err as Error).message}`, { cause: err })
    }
    if (found == null) {
      // created but not yet written by a daemon starting right now, or garbage: look again shortly
      await new Promise(resolve => setTimeout(resolve, 50))
      found = await readHolder(path).catch(() => undefined)
    }
    const holder = found?.pid
    if (found != null && found.pid !== pid && holds(found, checks)) {
      throw new DaemonRunningError(`a natter daemon (pid ${found.pid}) is already running on this home (lock: ${path}); stop it with \`natter stop\``, { pid: found.pid })
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
    const movedHolder = await readHolder(aside).catch(() => undefined)
    const moved = movedHolder?.pid
    if (movedHolder != null && moved != null && moved !== holder && moved !== pid && holds(movedHolder, checks)) {
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
