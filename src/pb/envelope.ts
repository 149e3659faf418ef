import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface SignedEnvelope {
  body: Uint8Array
  signature: Uint8Array
}

export namespace SignedEnvelope {
  let _codec: Codec<SignedEnvelope>

  export const codec = (): Codec<SignedEnvelope> => {
    if (_codec == null) {
      _codec = message<SignedEnvelope>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.body)
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
          body: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.body = reader.bytes()
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
                field: `${prefix}.body`,
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

  export interface SignedEnvelopeBodyFieldEvent {
    field: '$.body'
    value: Uint8Array
  }

  export interface SignedEnvelopeSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array
  }

  export function encode (obj: Partial<SignedEnvelope>): Uint8Array {
    return encodeMessage(obj, SignedEnvelope.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedEnvelope>): SignedEnvelope {
    return decodeMessage(buf, SignedEnvelope.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedEnvelope>): Generator<SignedEnvelopeBodyFieldEvent | SignedEnvelopeSignatureFieldEvent> {
    return streamMessage(buf, SignedEnvelope.codec(), opts)
  }
}

export interface EnvelopeBody {
  version: number
  id: Uint8Array
  sender: Uint8Array
  recipient: Uint8Array
  sentAt: bigint
  scheme: EnvelopeBody.Scheme
  ephemeralKey: Uint8Array
  nonce: Uint8Array
  ciphertext: Uint8Array
  stamp: Uint8Array
}

export namespace EnvelopeBody {
  export enum Scheme {
    SEALED = 'SEALED',
    RATCHET = 'RATCHET'
  }

  enum __SchemeValues {
    SEALED = 0,
    RATCHET = 1
  }

  export namespace Scheme {
    export const codec = (): Codec<Scheme> => {
      return enumeration<Scheme>(__SchemeValues)
    }
  }

  let _codec: Codec<EnvelopeBody>

  export const codec = (): Codec<EnvelopeBody> => {
    if (_codec == null) {
      _codec = message<EnvelopeBody>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.id)
        }

        if ((obj.sender != null && obj.sender.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.sender)
        }

        if ((obj.recipient != null && obj.recipient.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.recipient)
        }

        if ((obj.sentAt != null && obj.sentAt !== 0n)) {
          w.uint32(40)
          w.uint64(obj.sentAt)
        }

        if (obj.scheme != null && __SchemeValues[obj.scheme] !== 0) {
          w.uint32(48)
          EnvelopeBody.Scheme.codec().encode(obj.scheme, w)
        }

        if ((obj.ephemeralKey != null && obj.ephemeralKey.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.ephemeralKey)
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.nonce)
        }

        if ((obj.ciphertext != null && obj.ciphertext.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.ciphertext)
        }

        if ((obj.stamp != null && obj.stamp.byteLength > 0)) {
          w.uint32(82)
          w.bytes(obj.stamp)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          id: uint8ArrayAlloc(0),
          sender: uint8ArrayAlloc(0),
          recipient: uint8ArrayAlloc(0),
          sentAt: 0n,
          scheme: Scheme.SEALED,
          ephemeralKey: uint8ArrayAlloc(0),
          nonce: uint8ArrayAlloc(0),
          ciphertext: uint8ArrayAlloc(0),
          stamp: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint32()
              break
            }
            case 2: {
              obj.id = reader.bytes()
              break
            }
            case 3: {
              obj.sender = reader.bytes()
              break
            }
            case 4: {
              obj.recipient = reader.bytes()
              break
            }
            case 5: {
              obj.sentAt = reader.uint64()
              break
            }
            case 6: {
              obj.scheme = EnvelopeBody.Scheme.codec().decode(reader)
              break
            }
            case 7: {
              obj.ephemeralKey = reader.bytes()
              break
            }
            case 8: {
              obj.nonce = reader.bytes()
              break
            }
            case 9: {
              obj.ciphertext = reader.bytes()
              break
            }
            case 10: {
              obj.stamp = reader.bytes()
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
                field: `${prefix}.version`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.sender`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.recipient`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.sentAt`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.scheme`,
                value: EnvelopeBody.Scheme.codec().decode(reader)
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.ephemeralKey`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.ciphertext`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.stamp`,
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

  export interface EnvelopeBodyVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface EnvelopeBodyIdFieldEvent {
    field: '$.id'
    value: Uint8Array
  }

  export interface EnvelopeBodySenderFieldEvent {
    field: '$.sender'
    value: Uint8Array
  }

  export interface EnvelopeBodyRecipientFieldEvent {
    field: '$.recipient'
    value: Uint8Array
  }

  export interface EnvelopeBodySentAtFieldEvent {
    field: '$.sentAt'
    value: bigint
  }

  export interface EnvelopeBodySchemeFieldEvent {
    field: '$.scheme'
    value: EnvelopeBody.Scheme
  }

  export interface EnvelopeBodyEphemeralKeyFieldEvent {
    field: '$.ephemeralKey'
    value: Uint8Array
  }

  export interface EnvelopeBodyNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array
  }

  export interface EnvelopeBodyCiphertextFieldEvent {
    field: '$.ciphertext'
    value: Uint8Array
  }

  export interface EnvelopeBodyStampFieldEvent {
    field: '$.stamp'
    value: Uint8Array
  }

  export function encode (obj: Partial<EnvelopeBody>): Uint8Array {
    return encodeMessage(obj, EnvelopeBody.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<EnvelopeBody>): EnvelopeBody {
    return decodeMessage(buf, EnvelopeBody.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<EnvelopeBody>): Generator<EnvelopeBodyVersionFieldEvent | EnvelopeBodyIdFieldEvent | EnvelopeBodySenderFieldEvent | EnvelopeBodyRecipientFieldEvent | EnvelopeBodySentAtFieldEvent | EnvelopeBodySchemeFieldEvent | EnvelopeBodyEphemeralKeyFieldEvent | EnvelopeBodyNonceFieldEvent | EnvelopeBodyCiphertextFieldEvent | EnvelopeBodyStampFieldEvent> {
    return streamMessage(buf, EnvelopeBody.codec(), opts)
  }
}

export interface Payload {
  type: Payload.Type
  text: string
  seq: bigint
  receiptIds: Uint8Array[]
  receiptState: Payload.ReceiptState
  controlKind?: number
  controlBody?: Uint8Array
}

export namespace Payload {
  export enum Type {
    TEXT = 'TEXT',
    RECEIPT = 'RECEIPT',
    CONTROL = 'CONTROL'
  }

  enum __TypeValues {
    TEXT = 0,
    RECEIPT = 1,
    CONTROL = 2
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  export enum ReceiptState {
    DELIVERED = 'DELIVERED',
    READ = 'READ'
  }

  enum __ReceiptStateValues {
    DELIVERED = 0,
    READ = 1
  }

  export namespace ReceiptState {
    export const codec = (): Codec<ReceiptState> => {
      return enumeration<ReceiptState>(__ReceiptStateValues)
    }
  }

  let _codec: Codec<Payload>

  export const codec = (): Codec<Payload> => {
    if (_codec == null) {
      _codec = message<Payload>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          Payload.Type.codec().encode(obj.type, w)
        }

        if ((obj.text != null && obj.text !== '')) {
          w.uint32(18)
          w.string(obj.text)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(24)
          w.uint64(obj.seq)
        }

        if (obj.receiptIds != null && obj.receiptIds.length > 0) {
          for (const value of obj.receiptIds) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if (obj.receiptState != null && __ReceiptStateValues[obj.receiptState] !== 0) {
          w.uint32(40)
          Payload.ReceiptState.codec().encode(obj.receiptState, w)
        }

        if (obj.controlKind != null) {
          w.uint32(48)
          w.uint32(obj.controlKind)
        }

        if (obj.controlBody != null) {
          w.uint32(58)
          w.bytes(obj.controlBody)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.TEXT,
          text: '',
          seq: 0n,
          receiptIds: [],
          receiptState: ReceiptState.DELIVERED
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = Payload.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.text = reader.string()
              break
            }
            case 3: {
              obj.seq = reader.uint64()
              break
            }
            case 4: {
              if (opts.limits?.receiptIds != null && obj.receiptIds.length === opts.limits.receiptIds) {
                throw new MaxLengthError('Decode error - repeated field "receiptIds" had too many elements')
              }

              obj.receiptIds.push(reader.bytes())
              break
            }
            case 5: {
              obj.receiptState = Payload.ReceiptState.codec().decode(reader)
              break
            }
            case 6: {
              obj.controlKind = reader.uint32()
              break
            }
            case 7: {
              obj.controlBody = reader.bytes()
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
          receiptIds: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.type`,
                value: Payload.Type.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.text`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              if (opts.limits?.receiptIds != null && obj.receiptIds === opts.limits.receiptIds) {
                throw new MaxLengthError('Streaming decode error - repeated field "receiptIds" had too many elements')
              }

              yield {
                field: `${prefix}.receiptIds[]`,
                index: obj.receiptIds,
                value: reader.bytes()
              }

              obj.receiptIds++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.receiptState`,
                value: Payload.ReceiptState.codec().decode(reader)
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.controlKind`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.controlBody`,
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

  export interface PayloadTypeFieldEvent {
    field: '$.type'
    value: Payload.Type
  }

  export interface PayloadTextFieldEvent {
    field: '$.text'
    value: string
  }

  export interface PayloadSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface PayloadReceiptIdsFieldEvent {
    field: '$.receiptIds[]'
    index: number
    value: Uint8Array
  }

  export interface PayloadReceiptStateFieldEvent {
    field: '$.receiptState'
    value: Payload.ReceiptState
  }

  export interface PayloadControlKindFieldEvent {
    field: '$.controlKind'
    value: number
  }

  export interface PayloadControlBodyFieldEvent {
    field: '$.controlBody'
    value: Uint8Array
  }

  export function encode (obj: Partial<Payload>): Uint8Array {
    return encodeMessage(obj, Payload.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Payload>): Payload {
    return decodeMessage(buf, Payload.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Payload>): Generator<PayloadTypeFieldEvent | PayloadTextFieldEvent | PayloadSeqFieldEvent | PayloadReceiptIdsFieldEvent | PayloadReceiptStateFieldEvent | PayloadControlKindFieldEvent | PayloadControlBodyFieldEvent> {
    return streamMessage(buf, Payload.codec(), opts)
  }
}
