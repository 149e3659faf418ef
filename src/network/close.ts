/**
 * Ending a stream after a reply (PROTOCOL.md §5, §9.2; protocol 1.1
 * erratum 2): close, never reset. go-yamux discards unread data on a reset,
 * so a reply followed by a reset is often lost; a half-close flushes it.
 */
import type { Stream } from '@libp2p/interface'

/** After a closing reply, how long the remote has to close its side before the stream is reset. */
export const CLOSE_GRACE_MS = 10_000

/**
 * Half-closes the write side once what was written has gone out, then gives
 * the remote `graceMs` to close its side before resetting the stream (so a
 * peer that never closes cannot hold a stream slot for ever).
 */
export async function closeAfterReply (stream: Stream, graceMs = CLOSE_GRACE_MS): Promise<void> {
  try {
    await stream.close({ signal: AbortSignal.timeout(graceMs) })
  } catch (err) {
    stream.abort(err as Error)
    return
  }
  if (stream.status !== 'closed') {
    const timer = setTimeout(() => {
      if (stream.status !== 'closed') {
        stream.abort(new Error('the remote did not close the stream'))
      }
    }, graceMs)
    timer.unref?.()
    stream.addEventListener('close', () => { clearTimeout(timer) }, { once: true })
  }
}
