/**
 * A spinner on stderr for waits longer than a moment (dialling, DHT lookups,
 * delivery). Only on a terminal; it appears after a short delay so quick
 * answers show nothing, and it clears its line when done.
 *
 * @module
 */
import type { Context } from './context.js'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const FRAMES_PLAIN = ['|', '/', '-', '\\']
const DELAY_MS = 250
const FRAME_MS = 80

/** Runs `work`, showing `label` with a spinner on stderr (TTY only) while it takes long. */
export async function withProgress<T> (ctx: Context, label: string, work: Promise<T> | (() => Promise<T>)): Promise<T> {
  const promise = typeof work === 'function' ? work() : work
  if (ctx.stderr.isTTY !== true || ctx.env.TERM === 'dumb') {
    return promise
  }
  const frames = (ctx.env.NO_COLOR == null || ctx.env.NO_COLOR === '') ? FRAMES : FRAMES_PLAIN
  let frame = 0
  let shown = false
  let ticker: ReturnType<typeof setInterval> | undefined
  const delay = setTimeout(() => {
    shown = true
    ticker = setInterval(() => {
      ctx.stderr.write(`\r${frames[frame++ % frames.length]!} ${label}\u001b[K`)
    }, FRAME_MS)
  }, DELAY_MS)
  try {
    return await promise
  } finally {
    clearTimeout(delay)
    clearInterval(ticker)
    if (shown) {
      ctx.stderr.write('\r\u001b[K')
    }
  }
}
