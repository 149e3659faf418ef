/**
 * The control API client: the only way the CLI talks to a daemon. Finds the
 * daemon through `<home>/api.json`, authenticates with `<home>/api.token`,
 * and turns transport failures into {@link DaemonNotRunningError} and error
 * replies into {@link ApiError} carrying the daemon's error name. Every
 * operation of the contract (`node/api/contract/`) is callable by name as
 * `client.api.<operation>(request)`, typed by the contract, and its reply is
 * checked against the contract's schema ({@link ProtocolError} if it does not
 * match): a new operation needs nothing here.
 *
 * @example
 * ```ts
 * const client = await connectClient({ home: resolveHome() })
 * const { peerId, invite } = await client.api.id()
 * await client.api.send({ body: { to: 'bob', text: 'hi' } })
 * await client.api.renameContact({ params: { contact: 'bob' }, body: { name: 'robert' } })
 * for await (const event of client.events({ signal })) console.log(event)
 * ```
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { request } from 'node:http'
import { createInterface } from 'node:readline'
import { formatEndpoint, homeFiles, parseEndpoint } from '../node/api/discovery.js'
import { loadApiErrorBodySchema, operationLoaders } from '../node/api/contract/lazy.js'
import { requestPath } from '../node/api/contract/operation.js'
import { ApiError, AuthRefusedError, ClientTimeoutError, DaemonNotRunningError, ProtocolError } from './errors.js'
import type { ApiEndpoint } from '../node/api/discovery.js'
import type {
  Api, EventView, ItemOf, JsonOperation, JsonOperationName, Operation, OptionalRequest, ReplyOf, RequestOf, StreamOperation
} from '../node/api/contract/index.js'
import type { IncomingMessage } from 'node:http'
import type { z } from 'zod'

/** Options of {@link connectClient}. */
export interface ClientInit {
  /** The daemon's home. */
  home: string
  /** Default per-request timeout, in ms. @default 60000 */
  timeoutMs?: number
}

/** Per-request options. */
export interface RequestOptions {
  signal?: AbortSignal
  /** Overrides the client's default; 0 means none. */
  timeoutMs?: number
}

const TIMEOUT_DEFAULT = 60_000

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function notRunning (home: string, cause?: unknown): DaemonNotRunningError {
  return new DaemonNotRunningError(`no natter daemon is running for ${home}; start one with \`natter daemon\` (or \`npm start\`)`, { home, cause })
}

/**
 * Reads the endpoint and token of the daemon of `home`. Throws
 * {@link DaemonNotRunningError} when none is running, {@link AuthRefusedError}
 * when the token cannot be read.
 */
export async function connectClient (init: ClientInit): Promise<ApiClient> {
  const files = homeFiles(init.home)
  const text = await readFile(files.endpoint, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
      return undefined
    }
    throw new DaemonNotRunningError(`cannot read ${files.endpoint}: ${err.message}`, { home: init.home, cause: err })
  })
  const endpoint = text == null ? undefined : parseEndpoint(text)
  if (endpoint == null || !isAlive(endpoint.pid)) {
    throw notRunning(init.home)
  }
  let token: string
  try {
    token = (await readFile(files.token, 'utf8')).trim()
  } catch (err) {
    throw new AuthRefusedError(`cannot read the API token ${files.token}: ${(err as Error).message}`, { cause: err })
  }
  return new ApiClient({ home: init.home, endpoint, token, timeoutMs: init.timeoutMs ?? TIMEOUT_DEFAULT })
}

/** A typed client of one daemon's control API. */
export class ApiClient {
  readonly home: string
  readonly endpoint: ApiEndpoint
  private readonly token: string
  private readonly timeoutMs: number

  /** Every request/reply operation of the contract, by name: `client.api.send({ body: { to, text } })`. */
  readonly api: ApiCalls

  constructor (init: { home: string, endpoint: ApiEndpoint, token: string, timeoutMs: number }) {
    this.home = init.home
    this.endpoint = init.endpoint
    this.token = init.token
    this.timeoutMs = init.timeoutMs
    this.api = callsOf(this)
  }

  /** Sends a request; resolves with the response once its status is known. */
  private async open (method: string, path: string, body: unknown, options: RequestOptions): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const timeoutMs = options.timeoutMs ?? this.timeoutMs
    const signals = [options.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter((s): s is AbortSignal => s != null)
    const signal = AbortSignal.any(signals)
    const target = this.endpoint.transport === 'unix'
      ? { socketPath: this.endpoint.path }
      : { host: this.endpoint.host, port: this.endpoint.port }
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({
        ...target,
        // a connection per request: Node 20's global agent keeps sockets
        // alive, and a long-lived client (chat, bench:scale) that reused one
        // just as the server closed it idle (5 s) got ECONNRESET, reported
        // as "no daemon is running"; a local connection costs ~0.1 ms
        agent: false,
        method,
        path,
        signal,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(payload == null ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) })
        }
      }, resolve)
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (signal.aborted && options.signal?.aborted !== true) {
          reject(new ClientTimeoutError(`the daemon did not answer ${method} ${path} within ${Math.round(timeoutMs / 1000)} s`, { cause: err }))
        } else if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT' || err.code === 'ECONNRESET' || err.code === 'EPIPE') {
          reject(notRunning(this.home, err))
        } else {
          reject(err)
        }
      })
      req.end(payload)
    })
  }

  /**
   * Calls a request/reply operation of the contract: fills its path
   * parameters and query, sends its body, and checks the reply against the
   * operation's schema. Error replies throw {@link ApiError} with the daemon's
   * error name; a 401 throws {@link AuthRefusedError}.
   */
  async call<O extends JsonOperation> (op: O, input: RequestOf<O>, options: RequestOptions = {}): Promise<ReplyOf<O>> {
    const { params, query, body } = input as { params?: Record<string, string>, query?: Record<string, unknown>, body?: unknown }
    const path = requestPath(op, params, query)
    const res = await this.open(op.method, path, body, options)
    const text = await readText(res)
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      throw new ProtocolError(`the daemon at ${formatEndpoint(this.endpoint)} sent a reply to ${op.method} ${op.path} that is not JSON`)
    }
    const status = res.statusCode ?? 0
    if (status >= 200 && status < 300) {
      return checked(op.reply, parsed, `${op.method} ${op.path}`) as ReplyOf<O>
    }
    throw await this.errorOf(status, parsed)
  }

  /**
   * Opens a streaming operation of the contract and yields its items, each
   * checked against the operation's schema. Ends when the daemon closes the
   * stream or `signal` aborts.
   */
  async * stream<O extends StreamOperation> (op: O, input: RequestOf<O>, options: { signal?: AbortSignal } = {}): AsyncGenerator<ItemOf<O>> {
    const { params, query } = input as { params?: Record<string, string>, query?: Record<string, unknown> }
    const res = await this.open(op.method, requestPath(op, params, query), undefined, { signal: options.signal, timeoutMs: 0 })
    if (res.statusCode !== 200) {
      const text = await readText(res)
      let parsed: unknown
      try {
        parsed = text === '' ? undefined : JSON.parse(text)
      } catch {
        parsed = undefined
      }
      throw await this.errorOf(res.statusCode ?? 0, parsed)
    }
    const lines = createInterface({ input: res, crlfDelay: Infinity })
    try {
      for await (const line of lines) {
        if (line.trim() === '') {
          continue
        }
        let item: unknown
        try {
          item = JSON.parse(line)
        } catch {
          throw new ProtocolError(`the daemon sent a line on ${op.path} that is not JSON`)
        }
        yield checked(op.item, item, `${op.path} event`) as ItemOf<O>
      }
    } catch (err) {
      if (options.signal?.aborted === true) {
        return
      }
      throw err
    } finally {
      lines.close()
      res.destroy()
    }
  }

  /**
   * The live event stream; the first event is `ready`. Ends when the daemon
   * closes the stream (after a `shutdown` event) or `signal` aborts. With
   * `peer` or `group`, only that conversation's (or group's) events and the
   * node's own.
   */
  async * events (options: { peer?: string, group?: string, signal?: AbortSignal } = {}): AsyncGenerator<EventView> {
    yield * this.stream(await operationLoaders.events(), { query: { peer: options.peer, group: options.group } }, { signal: options.signal })
  }

  private async errorOf (status: number, parsed: unknown): Promise<Error> {
    if (status === 401) {
      return new AuthRefusedError(`the daemon refused our API token (${homeFiles(this.home).token})`)
    }
    const body = (await loadApiErrorBodySchema()).safeParse(parsed)
    if (!body.success) {
      return new ApiError('ApiError', `HTTP ${status}`, status)
    }
    const { name, message, details } = body.data.error
    return new ApiError(name, message, status, details)
  }
}

/** Every request/reply operation of the contract, callable by name. */
export type ApiCalls = {
  [K in JsonOperationName]: (...args: OptionalRequest<Api[K]> extends true
    ? [input?: RequestOf<Api[K]>, options?: RequestOptions]
    : [input: RequestOf<Api[K]>, options?: RequestOptions]) => Promise<ReplyOf<Api[K]>>
}

/**
 * The calls of every request/reply operation. An operation (its area of the
 * contract and its zod schemas) is loaded when first called, not when the
 * client is made: a command pays for the schemas it uses only.
 */
function callsOf (client: ApiClient): ApiCalls {
  const calls: Record<string, (input?: unknown, options?: RequestOptions) => Promise<unknown>> = {}
  for (const [name, load] of Object.entries(operationLoaders) as Array<[string, () => Promise<Operation>]>) {
    calls[name] = async (input, options) => {
      const op = await load()
      if (op.kind !== 'json') {
        throw new TypeError(`${name} is a streaming operation; use stream()`)
      }
      return client.call(op, (input ?? {}) as RequestOf<JsonOperation>, options)
    }
  }
  return calls as ApiCalls
}

async function readText (res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of res) {
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** `value` if it matches the contract's `schema`, else a {@link ProtocolError} naming the first mismatch. */
function checked<S extends z.ZodType> (schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) {
    // the daemon's own document, in its own field order (the schemas have no transforms)
    return value as z.output<S>
  }
  const issue = result.error.issues[0]
  const where = issue == null ? '' : `${issue.path.map(String).join('.') || '(top)'}: ${issue.message}`
  throw new ProtocolError(`the daemon's reply to ${what} does not match the API contract (${where}); are the daemon and CLI the same version?`)
}
