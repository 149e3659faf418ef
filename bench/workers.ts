/**
 * Forked bench workers (shared by bench/presence.ts and bench/groups.ts): a
 * coordinator spreads nodes over worker processes (one process's event loop
 * saturates near 50 full nodes on this machine) and talks to each over IPC:
 * `call` is a request with one reply; anything else a worker sends is an
 * event, handed to `onEvent` (the coordinator times it on its own clock).
 *
 * @module
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

/** A forked worker. */
export interface BenchWorker<Req> {
  child: ChildProcess
  /** Sends `req`; resolves with the worker's reply (rejects with its error, or when it exits). */
  call<T>(req: Req): Promise<T>
}

/** Forks `script` (a URL next to the caller's module) as a worker; `onEvent` gets every message that is not a reply. */
export function spawnWorker<Req, Ev extends { op: string }> (script: URL, onEvent: (e: Ev) => void, options: { execArgv?: string[], env?: NodeJS.ProcessEnv } = {}): BenchWorker<Req> {
  const child = fork(fileURLToPath(script), [], { execArgv: options.execArgv ?? [], env: options.env ?? process.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let next = 0
  const waiting = new Map<number, { resolve(v: unknown): void, reject(e: Error): void }>()
  child.on('message', (msg: { op: string, id?: number, result?: unknown, error?: string }) => {
    if (msg.op !== 'reply') { onEvent(msg as unknown as Ev); return }
    const w = waiting.get(msg.id ?? -1)
    if (w == null) return
    waiting.delete(msg.id!)
    if (msg.error != null) w.reject(new Error(msg.error))
    else w.resolve(msg.result)
  })
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`worker exited (${code})`))
    waiting.clear()
  })
  return {
    child,
    async call<T> (req: Req): Promise<T> {
      const id = next++
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
        child.send({ id, req })
      })
    }
  }
}

/** Sends an event (or a reply) to the coordinator. */
export const emit = (msg: unknown): void => { process.send?.(msg) }

/** In a worker: answers each request with `handle`'s result (or its error); exits when the coordinator goes. */
export function serveWorker<Req> (handle: (req: Req) => Promise<unknown>): void {
  process.on('message', (msg: { id: number, req: Req }) => {
    handle(msg.req).then(result => { emit({ op: 'reply', id: msg.id, result }) }, (err: Error) => { emit({ op: 'reply', id: msg.id, error: err.stack ?? err.message }) })
  })
  process.on('disconnect', () => { process.exit(0) })
}
