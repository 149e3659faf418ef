/**
 * Binds the contract's operations to the server: one handler per operation,
 * typed by the operation's schemas. The request's query and body are parsed
 * with the operation's schemas before the handler runs (a bad field is a
 * `BadRequestError` naming it), so a handler only sees valid input.
 * {@link Handlers} needs a handler for every operation: declaring an
 * operation without one does not type-check.
 *
 * @module
 */
import { api } from './contract/index.js'
import { parseRequest } from './validate.js'
import type { Api, JsonOperation, Operation, OperationName, PathParams, StreamOperation } from './contract/index.js'
import type { Route, RouteContext } from './server.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { z } from 'zod'

type Out<S> = S extends z.ZodType ? z.output<S> : undefined

/** What a handler gets: the parsed request, and the connection's signals. */
export interface HandlerContext<O extends Operation> {
  /** Path parameters, URI-decoded. */
  params: PathParams<O['path']>
  /** The query, parsed by the operation's schema. */
  query: Out<O['query']>
  /** The body, parsed by the operation's schema. */
  body: Out<O['body']>
  /** Aborts when the client goes away. */
  signal: AbortSignal
  /** Aborts when the server shuts down (streams end themselves on it). */
  closing: AbortSignal
  req: IncomingMessage
  res: ServerResponse
}

/** What a request/reply handler answers: the reply, with one of the operation's statuses (its first by default). */
export interface HandlerResult<O extends JsonOperation> {
  status?: O['status'][number]
  body: z.input<O['reply']>
}

/** A handler: a reply for a request/reply operation; for a stream, it writes the response itself and resolves when done. */
export type Handler<O extends Operation> = O extends JsonOperation
  ? (ctx: HandlerContext<O>) => Promise<HandlerResult<O>>
  : O extends StreamOperation
    ? (ctx: HandlerContext<O>) => Promise<void>
    : never

/** One handler per operation of the API. */
export type Handlers = { [K in OperationName]: Handler<Api[K]> }

/** The routes of the server: every operation of the contract, bound to its handler. */
export function routesOf (handlers: Handlers): Route[] {
  return (Object.keys(api) as OperationName[]).map(name => bind(api[name], handlers[name] as AnyHandler))
}

type AnyHandler = (ctx: HandlerContext<Operation>) => Promise<HandlerResult<JsonOperation> | undefined>

function bind (op: Operation, handler: AnyHandler): Route {
  return {
    method: op.method,
    path: op.path,
    async handle (ctx: RouteContext) {
      const query = op.query == null ? undefined : parseRequest(op.query, Object.fromEntries(ctx.query), 'query')
      const body = op.body == null ? undefined : parseRequest(op.body, ctx.body)
      const result = await handler({
        params: ctx.params,
        query,
        body,
        signal: ctx.signal,
        closing: ctx.closing,
        req: ctx.req,
        res: ctx.res
      })
      if (op.kind === 'stream' || result == null) {
        return undefined
      }
      return { status: result.status ?? op.status[0], body: result.body }
    }
  }
}
