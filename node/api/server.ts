/**
 * The local control API: HTTP/1.1 with JSON bodies, over a Unix socket (mode
 * 0600) or a loopback TCP port, every request authenticated with the bearer
 * token. Endpoints are {@link Route}s supplied by the area modules under
 * `routes/`; this file does transport, auth, routing, body parsing and error
 * replies (`{ error: { name, message } }`).
 *
 * @module
 */
import { chmod, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { isAuthorized } from './auth.js'
import {
  BadRequestError,
  detailsOf,
  MethodNotAllowedError,
  PayloadTooLargeError,
  RouteNotFoundError,
  UnauthorizedError,
  statusFor
} from './errors.js'
import { silentLog } from '../log.js'
import type { ApiEndpoint } from './discovery.js'
import type { ApiErrorBody } from './types.js'
import type { ApiAddress } from '../config.js'
import type { Log } from '../log.js'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'

/** HTTP methods the API uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** What a route handler gets. */
export interface RouteContext {
  /** Path parameters (`:name` segments), URI-decoded. */
  params: Record<string, string>
  query: URLSearchParams
  /** The parsed JSON body, or undefined when there is none. */
  body: unknown
  /** Aborts when the client goes away. */
  signal: AbortSignal
  /** Aborts when the server shuts down (streams end themselves on it). */
  closing: AbortSignal
  req: IncomingMessage
  res: ServerResponse
}

/** A reply: JSON `body` with `status` (200 by default). */
export interface RouteResult {
  status?: number
  body: unknown
}

/** One endpoint. A handler that returns undefined wrote the response itself (streams). */
export interface Route {
  method: Method
  /** e.g. `/v1/contacts/:contact` */
  path: string
  handle(ctx: RouteContext): Promise<RouteResult | undefined>
}

/** Options of {@link createApiServer}. */
export interface ApiServerInit {
  address: ApiAddress
  /** The bearer token every request must carry. */
  token: string
  routes: Route[]
  /** Largest accepted request body, in bytes. @default 65536 */
  maxBodyBytes?: number
  /** How long `stop` lets requests in flight finish before closing their connections, in ms. @default 2000 */
  closeGraceMs?: number
  /** @default silent */
  log?: Log
}

/** A running API server. */
export interface ApiServer {
  /** Listens; resolves with where. Removes a stale socket file first. */
  start(): Promise<ApiEndpoint>
  /** Ends streams, stops accepting, closes connections and removes the socket. Idempotent. */
  stop(): Promise<void>
}

const MAX_BODY_DEFAULT = 64 * 1024
const CLOSE_GRACE_DEFAULT = 2_000

interface CompiledRoute extends Route {
  segments: string[]
}

function match (route: CompiledRoute, parts: string[]): Record<string, string> | undefined {
  if (route.segments.length !== parts.length) {
    return undefined
  }
  const params: Record<string, string> = {}
  for (let i = 0; i < parts.length; i++) {
    const want = route.segments[i]!
    const got = parts[i]!
    if (want.startsWith(':')) {
      try {
        params[want.slice(1)] = decodeURIComponent(got)
      } catch {
        return undefined
      }
    } else if (want !== got) {
      return undefined
    }
  }
  return params
}

async function readBody (req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) {
      throw new PayloadTooLargeError(`request body over ${limit} bytes`)
    }
    chunks.push(chunk as Buffer)
  }
  if (size === 0) {
    return undefined
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (err) {
    throw new BadRequestError('request body is not valid JSON', { cause: err })
  }
}

/** Writes a JSON reply. */
export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers
  })
  res.end(text)
}

/** Creates the API server; {@link ApiServer.start} makes it listen. */
export function createApiServer (init: ApiServerInit): ApiServer {
  const log = init.log ?? silentLog
  const maxBody = init.maxBodyBytes ?? MAX_BODY_DEFAULT
  const grace = init.closeGraceMs ?? CLOSE_GRACE_DEFAULT
  const routes: CompiledRoute[] = init.routes.map(r => ({ ...r, segments: r.path.split('/').filter(s => s !== '') }))
  const closing = new AbortController()
  let server: Server | undefined
  let starting: Promise<ApiEndpoint> | undefined
  let stopping: Promise<void> | undefined

  const fail = (res: ServerResponse, err: unknown): void => {
    const e = err instanceof Error ? err : new Error(String(err))
    const status = statusFor(e.name)
    if (status === 500) {
      log.error('API request failed: %s', e.stack ?? e.message)
    }
    if (res.headersSent) {
      res.destroy()
      return
    }
    const details = detailsOf(e)
    const body: ApiErrorBody = { error: details == null ? { name: e.name, message: e.message } : { name: e.name, message: e.message, details } }
    const headers: Record<string, string> = e instanceof MethodNotAllowedError ? { allow: e.allow.join(', ') } : {}
    if (status === 401) {
      headers['www-authenticate'] = 'Bearer realm="natter"'
    }
    sendJson(res, status, body, headers)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!isAuthorized(req, init.token)) {
      req.resume()
      throw new UnauthorizedError()
    }
    const url = new URL(req.url ?? '/', 'http://natter.invalid')
    const parts = url.pathname.split('/').filter(s => s !== '')
    const candidates = routes.map(r => ({ route: r, params: match(r, parts) })).filter(c => c.params != null)
    const found = candidates.find(c => c.route.method === req.method)
    if (found == null) {
      req.resume()
      if (candidates.length > 0) {
        const allow = candidates.map(c => c.route.method)
        throw new MethodNotAllowedError(`${req.method ?? ''} is not allowed on ${url.pathname} (allowed: ${allow.join(', ')})`, allow)
      }
      throw new RouteNotFoundError(`no endpoint ${req.method ?? ''} ${url.pathname}`)
    }
    const body = req.method === 'GET' ? (req.resume(), undefined) : await readBody(req, maxBody)
    const gone = new AbortController()
    // 'close' also follows a normal reply: only a client that left early aborts the work
    res.on('close', () => {
      if (!res.writableFinished) {
        gone.abort()
      }
    })
    log.debug('API %s %s', req.method, url.pathname)
    const result = await found.route.handle({
      params: found.params!,
      query: url.searchParams,
      body,
      signal: gone.signal,
      closing: closing.signal,
      req,
      res
    })
    if (result != null) {
      sendJson(res, result.status ?? 200, result.body)
    }
  }

  const listen = async (): Promise<ApiEndpoint> => {
    const srv = createServer((req, res) => {
      handle(req, res).catch(err => { fail(res, err) })
    })
    server = srv
    const address = init.address
    if (address.transport === 'unix') {
      // we hold the daemon lock, so a socket file here is left over from a killed daemon
      await rm(address.path, { force: true })
      const listening = new Promise<void>((resolve, reject) => {
        srv.once('error', reject)
        srv.once('listening', () => { srv.off('error', reject); resolve() })
      })
      // bind() happens synchronously inside listen(): with this umask the socket
      // is never more than owner-accessible, and the umask is back before any
      // other code runs
      const umask = process.umask(0o177)
      try {
        srv.listen(address.path)
      } finally {
        process.umask(umask)
      }
      await listening
      await chmod(address.path, 0o600)
      return { transport: 'unix', path: address.path, pid: process.pid }
    }
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject)
      srv.listen({ host: address.host, port: address.port }, () => { srv.off('error', reject); resolve() })
    })
    const bound = srv.address()
    const port = typeof bound === 'object' && bound != null ? bound.port : address.port
    return { transport: 'tcp', host: address.host, port, pid: process.pid }
  }

  return {
    async start () {
      starting ??= listen()
      return starting
    },

    async stop () {
      stopping ??= (async () => {
        closing.abort()
        const srv = server
        if (srv == null) {
          return
        }
        const closed = new Promise<void>(resolve => { srv.close(() => { resolve() }) })
        srv.closeIdleConnections()
        const timer = setTimeout(() => { srv.closeAllConnections() }, grace)
        await closed
        clearTimeout(timer)
        if (init.address.transport === 'unix') {
          await rm(init.address.path, { force: true })
        }
      })()
      return stopping
    }
  }
}
