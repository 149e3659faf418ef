import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface GroupOp {
  groupId: Uint8Array
  parents: Uint8Array[]
  author: Uint8Array
  at: bigint
  kind: GroupOp.Kind
  target: Uint8Array
  name: string
}

export namespace GroupOp {
  export enum Kind {
    CREATE = 'CREATE',
    ADD = 'ADD',
    REMOVE = 'REMOVE',
    LEAVE = 'LEAVE',
    RENAME = 'RENAME',
    PROMOTE = 'PROMOTE'
  }

  enum __KindValues {
    CREATE = 0,
    ADD = 1,
    REMOVE = 2,
    LEAVE = 3,
    RENAME = 4,
    PROMOTE = 5
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<GroupOp>

  export const codec = (): Codec<GroupOp> => {
    if (_codec == null) {
      _codec = message<GroupOp>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.groupId != null && obj.groupId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.groupId)
        }

        if (obj.parents != null && obj.parents.length > 0) {
          for (const value of obj.parents) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if ((obj.author != null && obj.author.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.author)
        }

        if ((obj.at != null && obj.at !== 0n)) {
          w.uint32(32)
          w.uint64(obj.at)
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(40)
          GroupOp.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.target != null && obj.target.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.target)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(58)
          w.string(obj.name)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          groupId: uint8ArrayAlloc(0),
          parents: [],
          author: uint8ArrayAlloc(0),
          at: 0n,
          kind: Kind.CREATE,
          target: uint8ArrayAlloc(0),
          name: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.groupId = reader.bytes()
              break
            }
            case 2: {
              if (opts.limits?.parents != null && obj.parents.length === opts.limits.parents) {
                throw new MaxLengthError('Decode error - repeated field "parents" had too many elements')
              }

              obj.parents.push(reader.bytes())
              break
            }
            case 3: {
              obj.author = reader.bytes()
              break
            }
            case 4: {
              obj.at = reader.uint64()
              break
            }
            case 5: {
              obj.kind = GroupOp.Kind.codec().decode(reader)
              break
            }
            case 6: {
              obj.target = reader.bytes()
              break
            }
            case 7: {
              obj.name = reader.string()
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
          parents: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.groupId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              if (opts.limits?.parents != null && obj.parents === opts.limits.parents) {
                throw new MaxLengthError('Streaming decode error - repeated field "parents" had too many elements')
              }

              yield {
                field: `${prefix}.parents[]`,
                index: obj.parents,
                value: reader.bytes()
              }

              obj.parents++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.author`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.at`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.kind`,
                value: GroupOp.Kind.codec().decode(reader)
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.target`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
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

  export interface GroupOpGroupIdFieldEvent {
    field: '$.groupId'
    value: Uint8Array
  }

  export interface GroupOpParentsFieldEvent {
    field: '$.parents[]'
    index: number
    value: Uint8Array
  }

  export interface GroupOpAuthorFieldEvent {
    field: '$.author'
    value: Uint8Array
  }

  export interface GroupOpAtFieldEvent {
    field: '$.at'
    value: bigint
  }

  export interface GroupOpKindFieldEvent {
    field: '$.kind'
    value: GroupOp.Kind
  }

  export interface GroupOpTargetFieldEvent {
    field: '$.target'
    value: Uint8Array
  }

  export interface GroupOpNameFieldEvent {
    field: '$.name'
    value: string
  }

  export function encode (obj: Partial<GroupOp>): Uint8Array {
    return encodeMessage(obj, GroupOp.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupOp>): GroupOp {
    return decodeMessage(buf, GroupOp.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupOp>): Generator<GroupOpGroupIdFieldEvent | GroupOpParentsFieldEvent | GroupOpAuthorFieldEvent | GroupOpAtFieldEvent | GroupOpKindFieldEvent | GroupOpTargetFieldEvent | GroupOpNameFieldEvent> {
    return streamMessage(buf, GroupOp.codec(), opts)
  }
}

export interface SignedGroupOp {
  op: Uint8Array
  signature: Uint8Array
}

export namespace SignedGroupOp {
  let _codec: Codec<SignedGroupOp>

  export const codec = (): Codec<SignedGroupOp> => {
    if (_codec == null) {
      _codec = message<SignedGroupOp>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.op != null && obj.op.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.op)
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
          op: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.op = reader.bytes()
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
                field: `${prefix}.op`,
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

  export interface SignedGroupOpOpFieldEvent {
    field: '$.op'
    value: Uint8Array
  }

  export interface SignedGroupOpSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array
  }

  export function encode (obj: Partial<SignedGroupOp>): Uint8Array {
    return encodeMessage(obj, SignedGroupOp.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedGroupOp>): SignedGroupOp {
    return decodeMessage(buf, SignedGroupOp.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedGroupOp>): Generator<SignedGroupOpOpFieldEvent | SignedGroupOpSignatureFieldEvent> {
    return streamMessage(buf, SignedGroupOp.codec(), opts)
  }
}

export interface GroupControl {
  kind: GroupControl.Kind
  groupId: Uint8Array
  secret: Uint8Array
  ops: Uint8Array[]
  keyId: Uint8Array
  chainKey: Uint8Array
  iteration: bigint
  signingKey: Uint8Array
  read: boolean
  ids: Uint8Array[]
  message: Uint8Array
  heads: Uint8Array[]
}

export namespace GroupControl {
  export enum Kind {
    OPS = 'OPS',
    SENDER_KEY = 'SENDER_KEY',
    RECEIPT = 'RECEIPT',
    MESSAGE = 'MESSAGE',
    WANT_OPS = 'WANT_OPS'
  }

  enum __KindValues {
    OPS = 0,
    SENDER_KEY = 1,
    RECEIPT = 2,
    MESSAGE = 3,
    WANT_OPS = 4
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<GroupControl>

  export const codec = (): Codec<GroupControl> => {
    if (_codec == null) {
      _codec = message<GroupControl>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          GroupControl.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.groupId != null && obj.groupId.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.groupId)
        }

        if ((obj.secret != null && obj.secret.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.secret)
        }

        if (obj.ops != null && obj.ops.length > 0) {
          for (const value of obj.ops) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if ((obj.keyId != null && obj.keyId.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.keyId)
        }

        if ((obj.chainKey != null && obj.chainKey.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.chainKey)
        }

        if ((obj.iteration != null && obj.iteration !== 0n)) {
          w.uint32(56)
          w.uint64(obj.iteration)
        }

        if ((obj.signingKey != null && obj.signingKey.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.signingKey)
        }

        if ((obj.read != null && obj.read !== false)) {
          w.uint32(72)
          w.bool(obj.read)
        }

        if (obj.ids != null && obj.ids.length > 0) {
          for (const value of obj.ids) {
            w.uint32(82)
            w.bytes(value)
          }
        }

        if ((obj.message != null && obj.message.byteLength > 0)) {
          w.uint32(90)
          w.bytes(obj.message)
        }

        if (obj.heads != null && obj.heads.length > 0) {
          for (const value of obj.heads) {
            w.uint32(98)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.OPS,
          groupId: uint8ArrayAlloc(0),
          secret: uint8ArrayAlloc(0),
          ops: [],
          keyId: uint8ArrayAlloc(0),
          chainKey: uint8ArrayAlloc(0),
          iteration: 0n,
          signingKey: uint8ArrayAlloc(0),
          read: false,
          ids: [],
          message: uint8ArrayAlloc(0),
          heads: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = GroupControl.Kind.codec().decode(reader)
              break
            }
            case 2: {
              obj.groupId = reader.bytes()
              break
            }
            case 3: {
              obj.secret = reader.bytes()
              break
            }
            case 4: {
              if (opts.limits?.ops != null && obj.ops.length === opts.limits.ops) {
                throw new MaxLengthError('Decode error - repeated field "ops" had too many elements')
              }

              obj.ops.push(reader.bytes())
              break
            }
            case 5: {
              obj.keyId = reader.bytes()
              break
            }
            case 6: {
              obj.chainKey = reader.bytes()
              break
            }
            case 7: {
              obj.iteration = reader.uint64()
              break
            }
            case 8: {
              obj.signingKey = reader.bytes()
              break
            }
            case 9: {
              obj.read = reader.bool()
              break
            }
            case 10: {
              if (opts.limits?.ids != null && obj.ids.length === opts.limits.ids) {
                throw new MaxLengthError('Decode error - repeated field "ids" had too many elements')
              }

              obj.ids.push(reader.bytes())
              break
            }
            case 11: {
              obj.message = reader.bytes()
              break
            }
            case 12: {
              if (opts.limits?.heads != null && obj.heads.length === opts.limits.heads) {
                throw new MaxLengthError('Decode error - repeated field "heads" had too many elements')
              }

              obj.heads.push(reader.bytes())
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
          ops: 0,
          ids: 0,
          heads: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.kind`,
                value: GroupControl.Kind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.groupId`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.secret`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              if (opts.limits?.ops != null && obj.ops === opts.limits.ops) {
                throw new MaxLengthError('Streaming decode error - repeated field "ops" had too many elements')
              }

              yield {
                field: `${prefix}.ops[]`,
                index: obj.ops,
                value: reader.bytes()
              }

              obj.ops++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.keyId`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.chainKey`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.iteration`,
                value: reader.uint64()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.signingKey`,
                value: reader.bytes()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.read`,
                value: reader.bool()
              }
              break
            }
            case 10: {
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
            case 11: {
              yield {
                field: `${prefix}.message`,
                value: reader.bytes()
              }
              break
            }
            case 12: {
              if (opts.limits?.heads != null && obj.heads === opts.limits.heads) {
                throw new MaxLengthError('Streaming decode error - repeated field "heads" had too many elements')
              }

              yield {
                field: `${prefix}.heads[]`,
                index: obj.heads,
                value: reader.bytes()
              }

              obj.heads++

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

  export interface GroupControlKindFieldEvent {
    field: '$.kind'
    value: GroupControl.Kind
  }

  export interface GroupControlGroupIdFieldEvent {
    field: '$.groupId'
    value: Uint8Array
  }

  export interface GroupControlSecretFieldEvent {
    field: '$.secret'
    value: Uint8Array
  }

  export interface GroupControlOpsFieldEvent {
    field: '$.ops[]'
    index: number
    value: Uint8Array
  }

  export interface GroupControlKeyIdFieldEvent {
    field: '$.keyId'
    value: Uint8Array
  }

  export interface GroupControlChainKeyFieldEvent {
    field: '$.chainKey'
    value: Uint8Array
  }

  export interface GroupControlIterationFieldEvent {
    field: '$.iteration'
    value: bigint
  }

  export interface GroupControlSigningKeyFieldEvent {
    field: '$.signingKey'
    value: Uint8Array
  }

  export interface GroupControlReadFieldEvent {
    field: '$.read'
    value: boolean
  }

  export interface GroupControlIdsFieldEvent {
    field: '$.ids[]'
    index: number
    value: Uint8Array
  }

  export interface GroupControlMessageFieldEvent {
    field: '$.message'
    value: Uint8Array
  }

  export interface GroupControlHeadsFieldEvent {
    field: '$.heads[]'
    index: number
    value: Uint8Array
  }

  export function encode (obj: Partial<GroupControl>): Uint8Array {
    return encodeMessage(obj, GroupControl.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupControl>): GroupControl {
    return decodeMessage(buf, GroupControl.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupControl>): Generator<GroupControlKindFieldEvent | GroupControlGroupIdFieldEvent | GroupControlSecretFieldEvent | GroupControlOpsFieldEvent | GroupControlKeyIdFieldEvent | GroupControlChainKeyFieldEvent | GroupControlIterationFieldEvent | GroupControlSigningKeyFieldEvent | GroupControlReadFieldEvent | GroupControlIdsFieldEvent | GroupControlMessageFieldEvent | GroupControlHeadsFieldEvent> {
    return streamMessage(buf, GroupControl.codec(), opts)
  }
}

export interface GroupFrame {
  keyId: Uint8Array
  iteration: bigint
  ciphertext: Uint8Array
  signature: Uint8Array
}

export namespace GroupFrame {
  let _codec: Codec<GroupFrame>

  export const codec = (): Codec<GroupFrame> => {
    if (_codec == null) {
      _codec = message<GroupFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.keyId != null && obj.keyId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.keyId)
        }

        if ((obj.iteration != null && obj.iteration !== 0n)) {
          w.uint32(16)
          w.uint64(obj.iteration)
        }

        if ((obj.ciphertext != null && obj.ciphertext.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.ciphertext)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          keyId: uint8ArrayAlloc(0),
          iteration: 0n,
          ciphertext: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.keyId = reader.bytes()
              break
            }
            case 2: {
              obj.iteration = reader.uint64()
              break
            }
            case 3: {
              obj.ciphertext = reader.bytes()
              break
            }
            case 4: {
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
                field: `${prefix}.keyId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.iteration`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.ciphertext`,
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

  export interface GroupFrameKeyIdFieldEvent {
    field: '$.keyId'
    value: Uint8Array
  }

  export interface GroupFrameIterationFieldEvent {
    field: '$.iteration'
    value: bigint
  }

  export interface GroupFrameCiphertextFieldEvent {
    field: '$.ciphertext'
    value: Uint8Array
  }

  export interface GroupFrameSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array
  }

  export function encode (obj: Partial<GroupFrame>): Uint8Array {
    return encodeMessage(obj, GroupFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupFrame>): GroupFrame {
    return decodeMessage(buf, GroupFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupFrame>): Generator<GroupFrameKeyIdFieldEvent | GroupFrameIterationFieldEvent | GroupFrameCiphertextFieldEvent | GroupFrameSignatureFieldEvent> {
    return streamMessage(buf, GroupFrame.codec(), opts)
  }
}

export interface GroupPlaintext {
  groupId: Uint8Array
  id: Uint8Array
  seq: bigint
  sentAt: bigint
  text: string
  padding: Uint8Array
}

export namespace GroupPlaintext {
  let _codec: Codec<GroupPlaintext>

  export const codec = (): Codec<GroupPlaintext> => {
    if (_codec == null) {
      _codec = message<GroupPlaintext>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.groupId != null && obj.groupId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.groupId)
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.id)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(24)
          w.uint64(obj.seq)
        }

        if ((obj.sentAt != null && obj.sentAt !== 0n)) {
          w.uint32(32)
          w.uint64(obj.sentAt)
        }

        if ((obj.text != null && obj.text !== '')) {
          w.uint32(42)
          w.string(obj.text)
        }

        if ((obj.padding != null && obj.padding.byteLength > 0)) {
          w.uint32(122)
          w.bytes(obj.padding)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          groupId: uint8ArrayAlloc(0),
          id: uint8ArrayAlloc(0),
          seq: 0n,
          sentAt: 0n,
          text: '',
          padding: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.groupId = reader.bytes()
              break
            }
            case 2: {
              obj.id = reader.bytes()
              break
            }
            case 3: {
              obj.seq = reader.uint64()
              break
            }
            case 4: {
              obj.sentAt = reader.uint64()
              break
            }
            case 5: {
              obj.text = reader.string()
              break
            }
            case 15: {
              obj.padding = reader.bytes()
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
                field: `${prefix}.groupId`,
                value: reader.bytes()
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
                field: `${prefix}.seq`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.sentAt`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.text`,
                value: reader.string()
              }
              break
            }
            case 15: {
              yield {
                field: `${prefix}.padding`,
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

  export interface GroupPlaintextGroupIdFieldEvent {
    field: '$.groupId'
    value: Uint8Array
  }

  export interface GroupPlaintextIdFieldEvent {
    field: '$.id'
    value: Uint8Array
  }

  export interface GroupPlaintextSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface GroupPlaintextSentAtFieldEvent {
    field: '$.sentAt'
    value: bigint
  }

  export interface GroupPlaintextTextFieldEvent {
    field: '$.text'
    value: string
  }

  export interface GroupPlaintextPaddingFieldEvent {
    field: '$.padding'
    value: Uint8Array
  }

  export function encode (obj: Partial<GroupPlaintext>): Uint8Array {
    return encodeMessage(obj, GroupPlaintext.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupPlaintext>): GroupPlaintext {
    return decodeMessage(buf, GroupPlaintext.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GroupPlaintext>): Generator<GroupPlaintextGroupIdFieldEvent | GroupPlaintextIdFieldEvent | GroupPlaintextSeqFieldEvent | GroupPlaintextSentAtFieldEvent | GroupPlaintextTextFieldEvent | GroupPlaintextPaddingFieldEvent> {
    return streamMessage(buf, GroupPlaintext.codec(), opts)
  }
}
