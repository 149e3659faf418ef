import { decodeMessage, encodeMessage, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface SignedPrekeyRecord {
  record: Uint8Array
  signature: Uint8Array
}

export namespace SignedPrekeyRecord {
  let _codec: Codec<SignedPrekeyRecord>

  export const codec = (): Codec<SignedPrekeyRecord> => {
    if (_codec == null) {
      _codec = message<SignedPrekeyRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.record != null && obj.record.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.record)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          record: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.record = reader.bytes()
              break
            }
            case 2: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.record`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SignedPrekeyRecordRecordFieldEvent {
    field: '$.record'
    value: Uint8Array
  }

  export interface SignedPrekeyRecordSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array
  }

  export function encode (obj: Partial<SignedPrekeyRecord>): Uint8Array {
    return encodeMessage(obj, SignedPrekeyRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedPrekeyRecord>): SignedPrekeyRecord {
    return decodeMessage(buf, SignedPrekeyRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedPrekeyRecord>): Generator<SignedPrekeyRecordRecordFieldEvent | SignedPrekeyRecordSignatureFieldEvent> {
    return streamMessage(buf, SignedPrekeyRecord.codec(), opts)
  }
}

export interface PrekeyRecord {
  peerId: Uint8Array
  bundle: Uint8Array
  publishedAt: bigint
}

export namespace PrekeyRecord {
  let _codec: Codec<PrekeyRecord>

  export const codec = (): Codec<PrekeyRecord> => {
    if (_codec == null) {
      _codec = message<PrekeyRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peerId)
        }

        if ((obj.bundle != null && obj.bundle.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.bundle)
        }

        if ((obj.publishedAt != null && obj.publishedAt !== 0n)) {
          w.uint32(24)
          w.uint64(obj.publishedAt)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: uint8ArrayAlloc(0),
          bundle: uint8ArrayAlloc(0),
          publishedAt: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peerId = reader.bytes()
              break
            }
            case 2: {
              obj.bundle = reader.bytes()
              break
            }
            case 3: {
              obj.publishedAt = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.peerId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.bundle`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.publishedAt`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PrekeyRecordPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array
  }

  export interface PrekeyRecordBundleFieldEvent {
    field: '$.bundle'
    value: Uint8Array
  }

  export interface PrekeyRecordPublishedAtFieldEvent {
    field: '$.publishedAt'
    value: bigint
  }

  export function encode (obj: Partial<PrekeyRecord>): Uint8Array {
    return encodeMessage(obj, PrekeyRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PrekeyRecord>): PrekeyRecord {
    return decodeMessage(buf, PrekeyRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PrekeyRecord>): Generator<PrekeyRecordPeerIdFieldEvent | PrekeyRecordBundleFieldEvent | PrekeyRecordPublishedAtFieldEvent> {
    return streamMessage(buf, PrekeyRecord.codec(), opts)
  }
}
