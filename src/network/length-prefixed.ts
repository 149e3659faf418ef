/**
 * Length-prefixed framing that bounds the length prefix as well as the frame.
 *
 * `lpStream` from `@libp2p/utils` (7.4) checks `maxLengthLength` only after a
 * varint has decoded. A peer that sends continuation bytes (`0x80 0x80 …`)
 * without end therefore keeps the reader consuming them one at a time and
 * keeping each, about 100 bytes of heap per byte received, until the read
 * times out or the stream's 4 MiB read buffer overflows — on every stream it
 * opens. The decoder here gives up as soon as the prefix is longer than the
 * longest valid one.
 */
import { lpStream } from '@libp2p/utils'
import type { MessageStream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { Uint8ArrayList } from 'uint8arraylist'

/** A length prefix longer than the longest one a frame within the limit needs. */
export class InvalidDataLengthLengthError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InvalidDataLengthLengthError'
  }
}

/** Bytes of the unsigned varint encoding of `n`. */
function varintLength (n: number): number {
  let bytes = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    bytes++
  }
  return bytes
}

/**
 * `lpStream(stream)` with frames of at most `maxDataLength` bytes and length
 * prefixes of at most the bytes that limit needs. An over-long prefix fails
 * the read with {@link InvalidDataLengthLengthError}; an over-long frame with
 * `InvalidDataLengthError`, as before.
 */
export function boundedLpStream<S extends MessageStream> (stream: S, maxDataLength: number): LengthPrefixedStream<S> {
  const maxLengthLength = varintLength(maxDataLength)
  return lpStream(stream, {
    maxDataLength,
    maxLengthLength,
    lengthDecoder: (buf: Uint8ArrayList): number => {
      let value = 0
      const end = Math.min(buf.byteLength, maxLengthLength)
      for (let i = 0; i < end; i++) {
        const byte = buf.get(i)
        value += (byte & 0x7f) * 2 ** (7 * i)
        if (byte < 0x80) {
          return value
        }
      }
      if (buf.byteLength >= maxLengthLength) {
        throw new InvalidDataLengthLengthError(`length prefix longer than ${maxLengthLength} bytes`)
      }
      // incomplete: lpStream reads another byte on a RangeError
      throw new RangeError('incomplete varint')
    }
  })
}
