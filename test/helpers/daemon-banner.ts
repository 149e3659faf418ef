/**
 * A `natter daemon --json` child process as the e2e and netns harnesses watch
 * it: its output collected, its exit awaited, and its first stdout line (the
 * JSON banner) parsed.
 */
import type { ChildProcess } from 'node:child_process'

/** What {@link watchDaemon} gives back once the banner arrived. */
export interface WatchedDaemon<T> {
  /** The banner: the first line of stdout, parsed as JSON. */
  banner: T
  /** Everything the daemon wrote to stderr so far. */
  stderr: () => string
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>
}

/**
 * Collects `proc`'s output and waits for its banner; rejects when it exits
 * before one (the error carries its stderr), naming it as `what`.
 */
export async function watchDaemon<T> (proc: ChildProcess, what = 'daemon'): Promise<WatchedDaemon<T>> {
  let stdout = ''
  let stderr = ''
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const exited = new Promise<number | null>(resolve => { proc.once('exit', (code) => { resolve(code) }) })
  const banner = await new Promise<T>((resolve, reject) => {
    const onData = (): void => {
      const nl = stdout.indexOf('\n')
      if (nl >= 0) {
        proc.stdout!.off('data', onData)
        try {
          resolve(JSON.parse(stdout.slice(0, nl)) as T)
        } catch (err) {
          reject(err)
        }
      }
    }
    proc.stdout!.on('data', onData)
    void exited.then(code => { reject(new Error(`${what} exited with ${code} before its banner: ${stderr}`)) })
  })
  return { banner, stderr: () => stderr, exited }
}
