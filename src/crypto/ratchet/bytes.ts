/**
 * Internal byte helpers: big-endian integer writers, a bounds-checked reader, comparison and
 * best-effort wiping. Not exported from the package.
 *
 * @module
 */

/** Error factory used by a {@link ByteReader} when input is malformed. */
export type MalformedError = (message: string) => Error

/** Concatenate byte arrays into a fresh array. */
export function concat (...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** Big-endian u16. */
export function u16 (value: number): Uint8Array {
  const out = new Uint8Array(2)
  new DataView(out.buffer).setUint16(0, value, false)
  return out
}

/** Big-endian u32. */
export function u32 (value: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, value, false)
  return out
}

/** Big-endian u64 of a non-negative safe integer. */
export function u64 (value: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(value), false)
  return out
}

/** Equality of two byte arrays. Not constant-time: use only on public data. */
export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false
  }
  return true
}

/** Lowercase hex of public data (used for map keys). */
export function toHex (bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0')
  return out
}

/** Overwrite secrets that are no longer needed (best effort: JS gives no guarantee). */
export function wipe (...arrays: Array<Uint8Array | null | undefined>): void {
  for (const array of arrays) array?.fill(0)
}

/** Sequential, bounds-checked reader; every read returns a copy. */
export class ByteReader {
  private offset = 0
  private readonly view: DataView

  constructor (private readonly bytes: Uint8Array, private readonly fail: MalformedError) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Bytes left to read. */
  get remaining (): number {
    return this.bytes.length - this.offset
  }

  private take (length: number): number {
    if (length > this.remaining) throw this.fail(`truncated input: needed ${length} bytes at offset ${this.offset}, have ${this.remaining}`)
    const start = this.offset
    this.offset += length
    return start
  }

  /** Read `length` bytes (a copy). */
  bytesOf (length: number): Uint8Array {
    const start = this.take(length)
    return this.bytes.slice(start, start + length)
  }

  /** Read everything left (a copy). */
  rest (): Uint8Array {
    return this.bytesOf(this.remaining)
  }

  /** Read a u8. */
  u8 (): number {
    return this.view.getUint8(this.take(1))
  }

  /** Read a big-endian u16. */
  u16 (): number {
    return this.view.getUint16(this.take(2), false)
  }

  /** Read a big-endian u32. */
  u32 (): number {
    return this.view.getUint32(this.take(4), false)
  }

  /** Read a big-endian u64 that must fit in a safe integer. */
  u64 (): number {
    const value = this.view.getBigUint64(this.take(8), false)
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail('u64 value exceeds 2^53 - 1')
    return Number(value)
  }

  /** Throw unless every byte was consumed. */
  end (): void {
    if (this.remaining !== 0) throw this.fail(`${this.remaining} trailing bytes`)
  }
}
