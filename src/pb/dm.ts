import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface DmRequest {
  envelope: Uint8Array
}

export namespace DmRequest {
  let _codec: Codec<DmRequest>

  export const codec = (): Codec<DmRequest> => {
    if (_codec == null) {
      _codec = message<DmRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.envelope != null && obj.envelope.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.envelope)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          envelope: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.envelope = reader.bytes()
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
                field: `${prefix}.envelope`,
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

  export interface DmRequestEnvelopeFieldEvent {
    field: '$.envelope'
    value: Uint8Array
  }

  export function encode (obj: Partial<DmRequest>): Uint8Array {
    return encodeMessage(obj, DmRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DmRequest>): DmRequest {
    return decodeMessage(buf, DmRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DmRequest>): Generator<DmRequestEnvelopeFieldEvent> {
    return streamMessage(buf, DmRequest.codec(), opts)
  }
}

export interface DmResponse {
  id: Uint8Array
  status: DmResponse.Status
  error: string
  requiredDifficulty: number
  retryAfterMs: number
}

export namespace DmResponse {
  export enum Status {
    OK = 'OK',
    INVALID = 'INVALID',
    TOO_LARGE = 'TOO_LARGE',
    RATE_LIMITED = 'RATE_LIMITED',
    POW_REQUIRED = 'POW_REQUIRED',
    REFUSED = 'REFUSED',
    UNAVAILABLE = 'UNAVAILABLE'
  }

  enum __StatusValues {
    OK = 0,
    INVALID = 1,
    TOO_LARGE = 2,
    RATE_LIMITED = 3,
    POW_REQUIRED = 4,
    REFUSED = 5,
    UNAVAILABLE = 6
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<DmResponse>

  export const codec = (): Codec<DmResponse> => {
    if (_codec == null) {
      _codec = message<DmResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.id)
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(16)
          DmResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.error != null && obj.error !== '')) {
          w.uint32(26)
          w.string(obj.error)
        }

        if ((obj.requiredDifficulty != null && obj.requiredDifficulty !== 0)) {
          w.uint32(32)
          w.uint32(obj.requiredDifficulty)
        }

        if ((obj.retryAfterMs != null && obj.retryAfterMs !== 0)) {
          w.uint32(40)
          w.uint32(obj.retryAfterMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: uint8ArrayAlloc(0),
          status: Status.OK,
          error: '',
          requiredDifficulty: 0,
          retryAfterMs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.bytes()
              break
            }
            case 2: {
              obj.status = DmResponse.Status.codec().decode(reader)
              break
            }
            case 3: {
              obj.error = reader.string()
              break
            }
            case 4: {
              obj.requiredDifficulty = reader.uint32()
              break
            }
            case 5: {
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
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.status`,
                value: DmResponse.Status.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.error`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.requiredDifficulty`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
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

  export interface DmResponseIdFieldEvent {
    field: '$.id'
    value: Uint8Array
  }

  export interface DmResponseStatusFieldEvent {
    field: '$.status'
    value: DmResponse.Status
  }

  export interface DmResponseErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export interface DmResponseRequiredDifficultyFieldEvent {
    field: '$.requiredDifficulty'
    value: number
  }

  export interface DmResponseRetryAfterMsFieldEvent {
    field: '$.retryAfterMs'
    value: number
  }

  export function encode (obj: Partial<DmResponse>): Uint8Array {
    return encodeMessage(obj, DmResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DmResponse>): DmResponse {
    return decodeMessage(buf, DmResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DmResponse>): Generator<DmResponseIdFieldEvent | DmResponseStatusFieldEvent | DmResponseErrorFieldEvent | DmResponseRequiredDifficultyFieldEvent | DmResponseRetryAfterMsFieldEvent> {
    return streamMessage(buf, DmResponse.codec(), opts)
  }
}
