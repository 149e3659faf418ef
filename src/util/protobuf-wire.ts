/**
 * A strict check of the protobuf wire format (PROTOCOL.md §1, protocol 1.1).
 *
 * protons, like most protobuf runtimes, skips what it does not know: a field
 * numbered 0 (which the protobuf encoding forbids) decodes as an unknown field,
 * so a frame of zero bytes decodes to a message with every field empty — which
 * natter 1.0 then answered "unsupported envelope version 0" instead of treating
 * it as the undecodable frame it is. Every message natter reads from a peer is
 * checked here first: field numbers 1 to 2^29 − 1, wire types 0 (varint, at most
 * 10 bytes), 1 (64-bit), 2 (length-delimited, inside the message) and 5 (32-bit).
 * Groups (wire types 3 and 4) are refused: no natter message has any.
 * Only the top level is checked; nested messages are checked when decoded.
 */

/** Largest protobuf field number. */
const MAX_FIELD_NUMBER = 2 ** 29 - 1

/** Why bytes are not a well-formed protobuf message, or undefined when they are. */
export function protobufWireError (bytes: Uint8Array): string | undefined {
  let pos = 0
  const varint = (): number | undefined => {
    let value = 0
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) {
        return undefined
      }
      const byte = bytes[pos++]!
      value += (byte & 0x7f) * 2 ** (7 * i)
      if (byte < 0x80) {
        return value
      }
    }
    return undefined
  }
  while (pos < bytes.length) {
    const key = varint()
    if (key == null) {
      return `truncated or over-long field key at byte ${pos}`
    }
    const field = Math.floor(key / 8)
    const wireType = key % 8
    if (field < 1 || field > MAX_FIELD_NUMBER) {
      return `invalid field number ${field}`
    }
    switch (wireType) {
      case 0:
        if (varint() == null) {
          return `truncated or over-long varint in field ${field}`
        }
        break
      case 1:
        pos += 8
        break
      case 5:
        pos += 4
        break
      case 2: {
        const length = varint()
        if (length == null) {
          return `truncated length of field ${field}`
        }
        pos += length
        break
      }
      default:
        return `unsupported wire type ${wireType} in field ${field}`
    }
    if (pos > bytes.length) {
      return `field ${field} runs past the end of the message`
    }
  }
  return undefined
}

/** One top-level field as it is on the wire. */
export interface WireField {
  field: number
  /** varint (as a bigint), fixed64/fixed32 (raw bytes) or length-delimited (the bytes). */
  value: bigint | Uint8Array
}

/**
 * The top-level fields of a well-formed message, in wire order, without a
 * schema: so a value can be read from a message whose other fields a strict
 * decoder refuses (an unknown enum value, say). Undefined when the bytes are
 * not well formed.
 */
export function protobufFields (bytes: Uint8Array): WireField[] | undefined {
  if (protobufWireError(bytes) != null) {
    return undefined
  }
  const fields: WireField[] = []
  let pos = 0
  const varint = (): bigint => {
    let value = 0n
    for (let i = 0n; ; i++) {
      const byte = bytes[pos++]!
      value += BigInt(byte & 0x7f) << (7n * i)
      if (byte < 0x80) {
        return value
      }
    }
  }
  while (pos < bytes.length) {
    const key = Number(varint())
    const field = Math.floor(key / 8)
    const wireType = key % 8
    if (wireType === 0) {
      fields.push({ field, value: varint() })
    } else {
      const length = wireType === 1 ? 8 : wireType === 5 ? 4 : Number(varint())
      fields.push({ field, value: bytes.subarray(pos, pos + length) })
      pos += length
    }
  }
  return fields
}

/** The last value (protobuf's "last one wins") of length-delimited field `field`, or undefined. */
export function protobufBytesField (bytes: Uint8Array, field: number): Uint8Array | undefined {
  const value = protobufFields(bytes)?.findLast(f => f.field === field && f.value instanceof Uint8Array)?.value
  return value instanceof Uint8Array ? value : undefined
}

/** True when `bytes` are a well-formed protobuf message (see {@link protobufWireError}). */
export function isWellFormedProtobuf (bytes: Uint8Array): boolean {
  return protobufWireError(bytes) === undefined
}
