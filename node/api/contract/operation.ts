/**
 * What an operation of the control API is: one declaration holding its
 * method, path, the zod schemas of what it takes (path parameters, query,
 * body) and what it answers, its success statuses and the error names it can
 * answer with. The server binds a handler to it (`node/api/handlers.ts`), the
 * CLI's client calls it (`cli/client.ts`), and node/API.md is checked
 * against it (`test/unit/api-contract.test.ts`). Modelled on go-ipfs-cmds'
 * one Command for CLI and HTTP, and signal-cli's one handler per command.
 *
 * @module
 */
import { z } from 'zod'
import type { ApiErrorName } from '../errors.js'

/** HTTP methods the API uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** The `:name` segments of a path, as an object type: `'/v1/contacts/:contact'` → `{ contact: string }`. */
export type PathParams<P extends string> =
  P extends `${string}:${infer Name}/${infer Rest}`
    ? { [K in Name]: string } & PathParams<`/${Rest}`>
    : P extends `${string}:${infer Name}`
      ? { [K in Name]: string }
      : Record<never, never>

/** A schema of a query string: every field arrives as a string (coerced by the schema where needed). */
export type QuerySchema = z.ZodType<Record<string, unknown>>

/** A request/reply operation (JSON in, JSON out). */
export interface JsonOperation<
  P extends string = string,
  Q extends QuerySchema | undefined = QuerySchema | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType = z.ZodType,
  S extends readonly [number, ...number[]] = readonly [number, ...number[]]
> {
  readonly kind: 'json'
  readonly method: Method
  /** e.g. `/v1/contacts/:contact`; `:name` segments are URI-encoded path parameters. */
  readonly path: P
  /** One line saying what it does (the endpoint table of node/API.md). */
  readonly summary: string
  /** The query string, if the operation takes one. */
  readonly query: Q
  /** The JSON body, if the operation takes one. */
  readonly body: B
  /** The reply body. */
  readonly reply: R
  /** Success statuses; the first is the usual one. */
  readonly status: S
  /** Error names the operation itself can answer with (besides the ones every request can get). */
  readonly errors: readonly ApiErrorName[]
}

/** A streaming operation: newline-delimited JSON, one `item` per line, until either side closes. */
export interface StreamOperation<
  P extends string = string,
  Q extends QuerySchema | undefined = QuerySchema | undefined,
  I extends z.ZodType = z.ZodType
> {
  readonly kind: 'stream'
  readonly method: 'GET'
  readonly path: P
  readonly summary: string
  readonly query: Q
  readonly body: undefined
  /** One line of the stream. */
  readonly item: I
  readonly status: readonly [200]
  readonly errors: readonly ApiErrorName[]
}

/** Any operation. */
export type Operation = JsonOperation | StreamOperation

/** Declares a request/reply operation. */
export function operation<
  const P extends string,
  R extends z.ZodType,
  Q extends QuerySchema | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  const S extends readonly [number, ...number[]] = readonly [200]
> (init: {
  method: Method
  path: P
  summary: string
  query?: Q
  body?: B
  reply: R
  /** @default [200] */
  status?: S
  errors?: readonly ApiErrorName[]
}): JsonOperation<P, Q, B, R, S> {
  return {
    kind: 'json',
    method: init.method,
    path: init.path,
    summary: init.summary,
    query: init.query as Q,
    body: init.body as B,
    reply: init.reply,
    status: init.status ?? ([200] as const as unknown as S),
    errors: init.errors ?? []
  }
}

/** Declares a streaming (NDJSON) operation. */
export function streamOperation<
  const P extends string,
  I extends z.ZodType,
  Q extends QuerySchema | undefined = undefined
> (init: { path: P, summary: string, query?: Q, item: I, errors?: readonly ApiErrorName[] }): StreamOperation<P, Q, I> {
  return {
    kind: 'stream',
    method: 'GET',
    path: init.path,
    summary: init.summary,
    query: init.query as Q,
    body: undefined,
    item: init.item,
    status: [200],
    errors: init.errors ?? []
  }
}

type ParamsPart<O extends Operation> = keyof PathParams<O['path']> extends never ? { params?: undefined } : { params: PathParams<O['path']> }
type QueryPart<O extends Operation> = O['query'] extends z.ZodType ? (Partial<z.output<O['query']>> extends z.output<O['query']> ? { query?: z.output<O['query']> } : { query: z.output<O['query']> }) : { query?: undefined }
type BodyPart<O extends Operation> = O['body'] extends z.ZodType ? (Partial<z.output<O['body']>> extends z.output<O['body']> ? { body?: z.output<O['body']> } : { body: z.output<O['body']> }) : { body?: undefined }

/** What a caller gives an operation: path parameters, query and body, each where the operation has one. */
export type RequestOf<O extends Operation> = ParamsPart<O> & QueryPart<O> & BodyPart<O>

/** What a request/reply operation answers. */
export type ReplyOf<O extends JsonOperation> = z.output<O['reply']>

/** One item of a streaming operation. */
export type ItemOf<O extends StreamOperation> = z.output<O['item']>

/** Whether a request of this operation has everything optional (so `call(op)` needs no argument). */
export type OptionalRequest<O extends Operation> = Partial<RequestOf<O>> extends RequestOf<O> ? true : false

/**
 * The path of a request: `:name` segments replaced by the URI-encoded
 * parameters, and the query appended (`undefined` fields left out).
 */
export function requestPath (op: Operation, params: Record<string, string> | undefined, query: Record<string, unknown> | undefined): string {
  const path = op.path.split('/').map(segment => {
    if (!segment.startsWith(':')) {
      return segment
    }
    const value = params?.[segment.slice(1)]
    if (value == null) {
      throw new TypeError(`${op.method} ${op.path}: missing path parameter ${segment}`)
    }
    return encodeURIComponent(value)
  }).join('/')
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) {
      search.set(key, String(value))
    }
  }
  const text = search.toString()
  return text === '' ? path : `${path}?${text}`
}
