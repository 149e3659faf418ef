/**
 * One socket write per batch of frames. libp2p's TCP connection writes each
 * piece of a Noise frame with its own `socket.write` (length prefix, yamux
 * header, body, tag: five writes for one DM request), and every write is a
 * syscall that wakes the remote, which then reads a fragment and sleeps
 * again. On a loopback round trip that cost more than the message's crypto
 * and storage (bench:perf, README design notes): the pieces of one send are
 * copied into one buffer before they reach the socket.
 *
 * @module
 */
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface'

/** Largest batch copied into one buffer; a larger one (bulk data) goes on in pieces, where writes per byte are few anyway. */
export const COALESCE_MAX_BYTES = 256 * 1024

/** The shape of a Uint8ArrayList, without depending on one copy of that package. */
interface ChunkList { bufs: Uint8Array[], byteLength: number, subarray(): Uint8Array }

function isChunkList (data: unknown): data is ChunkList {
  return typeof data === 'object' && data != null && Array.isArray((data as ChunkList).bufs) && typeof (data as ChunkList).subarray === 'function'
}

/**
 * Makes `stream` (a transport connection, before encryption) hand its
 * transport each batch as one buffer. It wraps the stream's `sendData`
 * (AbstractMessageStream's hook to the transport, @libp2p/utils 7); a stream
 * without one is left as it is. Returns whether it was wrapped.
 */
export function coalesceWrites (stream: MessageStream): boolean {
  const target = stream as unknown as { sendData?: (data: unknown) => unknown, natterCoalesced?: boolean }
  const original = target.sendData
  if (typeof original !== 'function' || target.natterCoalesced === true) {
    return target.natterCoalesced === true
  }
  target.sendData = function (this: unknown, data: unknown) {
    if (isChunkList(data) && data.bufs.length > 1 && data.byteLength <= COALESCE_MAX_BYTES) {
      // the list is the sender's own copy for this call (AbstractMessageStream copies it "in case the extending
      // class modifies the list"): its pieces are replaced by one buffer holding the same bytes
      data.bufs = [data.subarray()]
    }
    return original.call(this, data)
  }
  target.natterCoalesced = true
  return true
}

/** Wraps a connection encrypter factory so every connection it secures writes coalesced batches ({@link coalesceWrites}). */
export function coalescingEncrypter<C> (factory: (components: C) => ConnectionEncrypter): (components: C) => ConnectionEncrypter {
  return (components) => {
    const inner = factory(components)
    const wrapped: ConnectionEncrypter = Object.create(inner)
    wrapped.secureInbound = async (connection, options) => {
      coalesceWrites(connection)
      return inner.secureInbound(connection, options)
    }
    wrapped.secureOutbound = async (connection, options) => {
      coalesceWrites(connection)
      return inner.secureOutbound(connection, options)
    }
    return wrapped
  }
}
