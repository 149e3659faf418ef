import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface SignedPresence {
  record: Uint8Array
  signature: Uint8Array
}

export namespace SignedPresence {
  let _codec: Codec<SignedPresence>

  export const codec = (): Codec<SignedPresence> => {
    if (_codec == null) {
      _codec = message<SignedPresence>((obj, w, opts = {}) => {
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

  export interface SignedPresenceRecordFieldEvent {
    field: '$.record'
    value: Uint8Array
  }

  export interface SignedPresenceSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array
  }

  export function encode (obj: Partial<SignedPresence>): Uint8Array {
    return encodeMessage(obj, SignedPresence.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedPresence>): SignedPresence {
    return decodeMessage(buf, SignedPresence.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedPresence>): Generator<SignedPresenceRecordFieldEvent | SignedPresenceSignatureFieldEvent> {
    return streamMessage(buf, SignedPresence.codec(), opts)
  }
}

export interface PresenceRecord {
  peerId: Uint8Array
  status: PresenceRecord.Status
  note: string
  seq: bigint
  issuedAt: bigint
  expiresAt: bigint
}

export namespace PresenceRecord {
  export enum Status {
    ONLINE = 'ONLINE',
    AWAY = 'AWAY',
    BUSY = 'BUSY',
    OFFLINE = 'OFFLINE'
  }

  enum __StatusValues {
    ONLINE = 0,
    AWAY = 1,
    BUSY = 2,
    OFFLINE = 3
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<PresenceRecord>

  export const codec = (): Codec<PresenceRecord> => {
    if (_codec == null) {
      _codec = message<PresenceRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peerId)
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(16)
          PresenceRecord.Status.codec().encode(obj.status, w)
        }

        if ((obj.note != null && obj.note !== '')) {
          w.uint32(26)
          w.string(obj.note)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(32)
          w.uint64(obj.seq)
        }

        if ((obj.issuedAt != null && obj.issuedAt !== 0n)) {
          w.uint32(40)
          w.uint64(obj.issuedAt)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0n)) {
          w.uint32(48)
          w.uint64(obj.expiresAt)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: uint8ArrayAlloc(0),
          status: Status.ONLINE,
          note: '',
          seq: 0n,
          issuedAt: 0n,
          expiresAt: 0n
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
              obj.status = PresenceRecord.Status.codec().decode(reader)
              break
            }
            case 3: {
              obj.note = reader.string()
              break
            }
            case 4: {
              obj.seq = reader.uint64()
              break
            }
            case 5: {
              obj.issuedAt = reader.uint64()
              break
            }
            case 6: {
              obj.expiresAt = reader.uint64()
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
                field: `${prefix}.status`,
                value: PresenceRecord.Status.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.note`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.issuedAt`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.expiresAt`,
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

  export interface PresenceRecordPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array
  }

  export interface PresenceRecordStatusFieldEvent {
    field: '$.status'
    value: PresenceRecord.Status
  }

  export interface PresenceRecordNoteFieldEvent {
    field: '$.note'
    value: string
  }

  export interface PresenceRecordSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface PresenceRecordIssuedAtFieldEvent {
    field: '$.issuedAt'
    value: bigint
  }

  export interface PresenceRecordExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: bigint
  }

  export function encode (obj: Partial<PresenceRecord>): Uint8Array {
    return encodeMessage(obj, PresenceRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceRecord>): PresenceRecord {
    return decodeMessage(buf, PresenceRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceRecord>): Generator<PresenceRecordPeerIdFieldEvent | PresenceRecordStatusFieldEvent | PresenceRecordNoteFieldEvent | PresenceRecordSeqFieldEvent | PresenceRecordIssuedAtFieldEvent | PresenceRecordExpiresAtFieldEvent> {
    return streamMessage(buf, PresenceRecord.codec(), opts)
  }
}
