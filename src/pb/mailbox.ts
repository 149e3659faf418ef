import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface MailboxRequest {
  type: MailboxRequest.Type
  envelope: Uint8Array
  recipient: Uint8Array
  signature: Uint8Array
  limit: number
  ids: Uint8Array[]
  stamp: Uint8Array
  after: Uint8Array
}

export namespace MailboxRequest {
  export enum Type {
    DEPOSIT = 'DEPOSIT',
    CHALLENGE = 'CHALLENGE',
    FETCH = 'FETCH',
    ACK = 'ACK'
  }

  enum __TypeValues {
    DEPOSIT = 0,
    CHALLENGE = 1,
    FETCH = 2,
    ACK = 3
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<MailboxRequest>

  export const codec = (): Codec<MailboxRequest> => {
    if (_codec == null) {
      _codec = message<MailboxRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          MailboxRequest.Type.codec().encode(obj.type, w)
        }

        if ((obj.envelope != null && obj.envelope.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.envelope)
        }

        if ((obj.recipient != null && obj.recipient.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.recipient)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.signature)
        }

        if ((obj.limit != null && obj.limit !== 0)) {
          w.uint32(40)
          w.uint32(obj.limit)
        }

        if (obj.ids != null && obj.ids.length > 0) {
          for (const value of obj.ids) {
            w.uint32(50)
            w.bytes(value)
          }
        }

        if ((obj.stamp != null && obj.stamp.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.stamp)
        }

        if ((obj.after != null && obj.after.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.after)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.DEPOSIT,
          envelope: uint8ArrayAlloc(0),
          recipient: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0),
          limit: 0,
          ids: [],
          stamp: uint8ArrayAlloc(0),
          after: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = MailboxRequest.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.envelope = reader.bytes()
              break
            }
            case 3: {
              obj.recipient = reader.bytes()
              break
            }
            case 4: {
              obj.signature = reader.bytes()
              break
            }
            case 5: {
              obj.limit = reader.uint32()
              break
            }
            case 6: {
              if (opts.limits?.ids != null && obj.ids.length === opts.limits.ids) {
                throw new MaxLengthError('Decode error - repeated field "ids" had too many elements')
              }

              obj.ids.push(reader.bytes())
              break
            }
            case 7: {
              obj.stamp = reader.bytes()
              break
            }
            case 8: {
              obj.after = reader.bytes()
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
        const obj = {
          ids: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.type`,
                value: MailboxRequest.Type.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.envelope`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.recipient`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.limit`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              if (opts.limits?.ids != null && obj.ids === opts.limits.ids) {
                throw new MaxLengthError('Streaming decode error - repeated field "ids" had too many elements')
              }

              yield {
                field: `${prefix}.ids[]`,
                index: obj.ids,
                value: reader.bytes()
              }

              obj.ids++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.stamp`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.after`,
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

  export interface MailboxRequestTypeFieldEvent {
    field: '$.type'
    value: MailboxRequest.Type
  }

  export interface MailboxRequestEnvelopeFieldEvent {
    field: '$.envelope'
    value: Uint8Array
  }

  export interface MailboxRequestRecipientFieldEvent {
    field: '$.recipient'
    value: Uint8Array
  }

  export interface MailboxRequestSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array
  }

  export interface MailboxRequestLimitFieldEvent {
    field: '$.limit'
    value: number
  }

  export interface MailboxRequestIdsFieldEvent {
    field: '$.ids[]'
    index: number
    value: Uint8Array
  }

  export interface MailboxRequestStampFieldEvent {
    field: '$.stamp'
    value: Uint8Array
  }

  export interface MailboxRequestAfterFieldEvent {
    field: '$.after'
    value: Uint8Array
  }

  export function encode (obj: Partial<MailboxRequest>): Uint8Array {
    return encodeMessage(obj, MailboxRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MailboxRequest>): MailboxRequest {
    return decodeMessage(buf, MailboxRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MailboxRequest>): Generator<MailboxRequestTypeFieldEvent | MailboxRequestEnvelopeFieldEvent | MailboxRequestRecipientFieldEvent | MailboxRequestSignatureFieldEvent | MailboxRequestLimitFieldEvent | MailboxRequestIdsFieldEvent | MailboxRequestStampFieldEvent | MailboxRequestAfterFieldEvent> {
    return streamMessage(buf, MailboxRequest.codec(), opts)
  }
}

export interface MailboxResponse {
  status: MailboxResponse.Status
  error: string
  nonce: Uint8Array
  envelopes: Uint8Array[]
  more: boolean
  requiredDifficulty: number
  retryAfterMs: number
}

export namespace MailboxResponse {
  export enum Status {
    OK = 'OK',
    INVALID = 'INVALID',
    TOO_LARGE = 'TOO_LARGE',
    QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
    UNAUTHORIZED = 'UNAUTHORIZED',
    DISABLED = 'DISABLED',
    RATE_LIMITED = 'RATE_LIMITED',
    STAMP_REQUIRED = 'STAMP_REQUIRED',
    UNAVAILABLE = 'UNAVAILABLE'
  }

  enum __StatusValues {
    OK = 0,
    INVALID = 1,
    TOO_LARGE = 2,
    QUOTA_EXCEEDED = 3,
    UNAUTHORIZED = 4,
    DISABLED = 5,
    RATE_LIMITED = 6,
    STAMP_REQUIRED = 7,
    UNAVAILABLE = 8
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<MailboxResponse>

  export const codec = (): Codec<MailboxResponse> => {
    if (_codec == null) {
      _codec = message<MailboxResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          MailboxResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.error != null && obj.error !== '')) {
          w.uint32(18)
          w.string(obj.error)
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.nonce)
        }

        if (obj.envelopes != null && obj.envelopes.length > 0) {
          for (const value of obj.envelopes) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if ((obj.more != null && obj.more !== false)) {
          w.uint32(40)
          w.bool(obj.more)
        }

        if ((obj.requiredDifficulty != null && obj.requiredDifficulty !== 0)) {
          w.uint32(48)
          w.uint32(obj.requiredDifficulty)
        }

        if ((obj.retryAfterMs != null && obj.retryAfterMs !== 0)) {
          w.uint32(56)
          w.uint32(obj.retryAfterMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          error: '',
          nonce: uint8ArrayAlloc(0),
          envelopes: [],
          more: false,
          requiredDifficulty: 0,
          retryAfterMs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = MailboxResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.error = reader.string()
              break
            }
            case 3: {
              obj.nonce = reader.bytes()
              break
            }
            case 4: {
              if (opts.limits?.envelopes != null && obj.envelopes.length === opts.limits.envelopes) {
                throw new MaxLengthError('Decode error - repeated field "envelopes" had too many elements')
              }

              obj.envelopes.push(reader.bytes())
              break
            }
            case 5: {
              obj.more = reader.bool()
              break
            }
            case 6: {
              obj.requiredDifficulty = reader.uint32()
              break
            }
            case 7: {
              obj.retryAfterMs = reader.uint32()
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
        const obj = {
          envelopes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: MailboxResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.error`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              if (opts.limits?.envelopes != null && obj.envelopes === opts.limits.envelopes) {
                throw new MaxLengthError('Streaming decode error - repeated field "envelopes" had too many elements')
              }

              yield {
                field: `${prefix}.envelopes[]`,
                index: obj.envelopes,
                value: reader.bytes()
              }

              obj.envelopes++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.more`,
                value: reader.bool()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.requiredDifficulty`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.retryAfterMs`,
                value: reader.uint32()
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

  export interface MailboxResponseStatusFieldEvent {
    field: '$.status'
    value: MailboxResponse.Status
  }

  export interface MailboxResponseErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export interface MailboxResponseNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array
  }

  export interface MailboxResponseEnvelopesFieldEvent {
    field: '$.envelopes[]'
    index: number
    value: Uint8Array
  }

  export interface MailboxResponseMoreFieldEvent {
    field: '$.more'
    value: boolean
  }

  export interface MailboxResponseRequiredDifficultyFieldEvent {
    field: '$.requiredDifficulty'
    value: number
  }

  export interface MailboxResponseRetryAfterMsFieldEvent {
    field: '$.retryAfterMs'
    value: number
  }

  export function encode (obj: Partial<MailboxResponse>): Uint8Array {
    return encodeMessage(obj, MailboxResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MailboxResponse>): MailboxResponse {
    return decodeMessage(buf, MailboxResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MailboxResponse>): Generator<MailboxResponseStatusFieldEvent | MailboxResponseErrorFieldEvent | MailboxResponseNonceFieldEvent | MailboxResponseEnvelopesFieldEvent | MailboxResponseMoreFieldEvent | MailboxResponseRequiredDifficultyFieldEvent | MailboxResponseRetryAfterMsFieldEvent> {
    return streamMessage(buf, MailboxResponse.codec(), opts)
  }
}
