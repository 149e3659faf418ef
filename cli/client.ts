/**
 * The control API client: the only way the CLI talks to a daemon. Finds the
 * daemon through `<home>/api.json`, authenticates with `<home>/api.token`,
 * and turns transport failures into {@link DaemonNotRunningError} and error
 * replies into {@link ApiError} carrying the daemon's error name.
 *
 * @example
 * ```ts
 * const client = await connectClient({ home: resolveHome() })
 * const { peerId, invite } = await client.id()
 * await client.send({ to: 'bob', text: 'hi' })
 * for await (const event of client.events({ signal })) console.log(event)
 * ```
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { request } from 'node:http'
import { createInterface } from 'node:readline'
import { formatEndpoint, homeFiles, parseEndpoint } from '../node/api/discovery.js'
import { ApiError, AuthRefusedError, ClientTimeoutError, DaemonNotRunningError } from './errors.js'
import type { ApiEndpoint } from '../node/api/discovery.js'
import type {
  AcceptKeyResponse,
  AddContactRequest,
  AddContactResponse,
  ApiErrorBody,
  BlockedResponse,
  ConfigResponse,
  ConfigView,
  ContactView,
  EventView,
  ExportIdentityRequest,
  ExportIdentityResponse,
  HistoryResponse,
  InboxResponse,
  NodeInfo,
  PeersResponse,
  PingResponse,
  PresenceResponse,
  PresenceView,
  ReadResponse,
  RequestsResponse,
  ResolveResponse,
  SafetyNumberResponse,
  SendRequest,
  SendResponse,
  SetPresenceRequest,
  StopResponse
} from '../node/api/types.js'
import type { IncomingMessage } from 'node:http'

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

  constructor (init: { home: string, endpoint: ApiEndpoint, token: string, timeoutMs: number }) {
    this.home = init.home
    this.endpoint = init.endpoint
    this.token = init.token
    this.timeoutMs = init.timeoutMs
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

  /** Sends a JSON request and parses the JSON reply, throwing {@link ApiError} for error replies. */
  async request<T> (method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const res = await this.open(method, path, body, options)
    const chunks: Buffer[] = []
    for await (const chunk of res) {
      chunks.push(chunk as Buffer)
    }
    const text = Buffer.concat(chunks).toString('utf8')
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      throw new ApiError('ProtocolError', `the daemon at ${formatEndpoint(this.endpoint)} sent a reply that is not JSON`, res.statusCode ?? 0)
    }
    const status = res.statusCode ?? 0
    if (status >= 200 && status < 300) {
      return parsed as T
    }
    const error = (parsed as Partial<ApiErrorBody> | undefined)?.error
    if (status === 401) {
      throw new AuthRefusedError(`the daemon refused our API token (${homeFiles(this.home).token})`)
    }
    throw new ApiError(error?.name ?? 'ApiError', error?.message ?? `HTTP ${status}`, status, error?.details)
  }

  id = async (options?: RequestOptions): Promise<NodeInfo> => this.request('GET', '/v1/id', undefined, options)
  resolve = async (peer: string): Promise<ResolveResponse> => this.request('GET', `/v1/resolve?${new URLSearchParams({ peer })}`)
  peers = async (): Promise<PeersResponse> => this.request('GET', '/v1/peers')
  ping = async (peer: string): Promise<PingResponse> => this.request('POST', '/v1/ping', { peer })
  connect = async (address: string, bootstrap?: boolean): Promise<{ connected: boolean }> =>
    this.request('POST', '/v1/connect', bootstrap == null ? { address } : { address, bootstrap })

  stop = async (): Promise<StopResponse> => this.request('POST', '/v1/stop')

  listContacts = async (): Promise<{ contacts: ContactView[] }> => this.request('GET', '/v1/contacts')
  addContact = async (body: AddContactRequest): Promise<AddContactResponse> => this.request('POST', '/v1/contacts', body)
  getContact = async (contact: string): Promise<{ contact: ContactView }> => this.request('GET', `/v1/contacts/${encodeURIComponent(contact)}`)
  renameContact = async (contact: string, name: string): Promise<{ contact: ContactView }> =>
    this.request('PATCH', `/v1/contacts/${encodeURIComponent(contact)}`, { name })

  removeContact = async (contact: string): Promise<{ contact: ContactView }> => this.request('DELETE', `/v1/contacts/${encodeURIComponent(contact)}`)

  safetyNumber = async (contact: string, options: { pending?: boolean } = {}): Promise<SafetyNumberResponse> =>
    this.request('GET', `/v1/contacts/${encodeURIComponent(contact)}/safety-number${options.pending === true ? '?pending=true' : ''}`)

  setVerified = async (contact: string, verified: boolean): Promise<{ contact: ContactView }> =>
    this.request('POST', `/v1/contacts/${encodeURIComponent(contact)}/verify`, { verified })

  acceptKey = async (contact: string): Promise<AcceptKeyResponse> => this.request('POST', `/v1/contacts/${encodeURIComponent(contact)}/accept-key`)
  rejectKey = async (contact: string): Promise<{ contact: ContactView }> => this.request('POST', `/v1/contacts/${encodeURIComponent(contact)}/reject-key`)

  exportIdentity = async (body: ExportIdentityRequest): Promise<ExportIdentityResponse> => this.request('POST', '/v1/identity/export', body)

  send = async (body: SendRequest, options?: RequestOptions): Promise<SendResponse> => this.request('POST', '/v1/send', body, options)
  history = async (peer: string, options: { limit?: number, before?: number } = {}): Promise<HistoryResponse> => {
    const query = new URLSearchParams({ peer })
    if (options.limit != null) {
      query.set('limit', String(options.limit))
    }
    if (options.before != null) {
      query.set('before', String(options.before))
    }
    return this.request('GET', `/v1/history?${query}`)
  }

  presence = async (): Promise<PresenceResponse> => this.request('GET', '/v1/presence')
  setPresence = async (body: SetPresenceRequest): Promise<{ presence: PresenceView }> => this.request('PUT', '/v1/presence', body)

  requests = async (): Promise<RequestsResponse> => this.request('GET', '/v1/requests')
  acceptRequest = async (peer: string): Promise<{ peerId: string }> => this.request('POST', `/v1/requests/${encodeURIComponent(peer)}/accept`)
  declineRequest = async (peer: string, block: boolean): Promise<{ peerId: string }> =>
    this.request('POST', `/v1/requests/${encodeURIComponent(peer)}/decline`, { block })

  markRead = async (peer: string): Promise<ReadResponse> => this.request('POST', '/v1/read', { peer })
  inbox = async (): Promise<InboxResponse> => this.request('GET', '/v1/inbox')
  config = async (): Promise<ConfigResponse> => this.request('GET', '/v1/config')
  setConfig = async (patch: Partial<ConfigView>): Promise<ConfigResponse> => this.request('PATCH', '/v1/config', patch)

  blocked = async (): Promise<BlockedResponse> => this.request('GET', '/v1/blocked')
  block = async (peer: string): Promise<{ peerId: string }> => this.request('POST', '/v1/block', { peer })
  unblock = async (peer: string): Promise<{ peerId: string }> => this.request('POST', '/v1/unblock', { peer })

  /**
   * The live event stream; the first event is `ready`. Ends when the daemon
   * closes the stream (after a `shutdown` event) or `signal` aborts.
   */
  async * events (options: { peer?: string, signal?: AbortSignal } = {}): AsyncGenerator<EventView> {
    const query = options.peer == null ? '' : `?${new URLSearchParams({ peer: options.peer })}`
    const res = await this.open('GET', `/v1/events${query}`, undefined, { signal: options.signal, timeoutMs: 0 })
    if (res.statusCode !== 200) {
      const chunks: Buffer[] = []
      for await (const chunk of res) {
        chunks.push(chunk as Buffer)
      }
      const error = (JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Partial<ApiErrorBody>).error
      if (res.statusCode === 401) {
        throw new AuthRefusedError('the daemon refused our API token')
      }
      throw new ApiError(error?.name ?? 'ApiError', error?.message ?? `HTTP ${res.statusCode ?? 0}`, res.statusCode ?? 0, error?.details)
    }
    const lines = createInterface({ input: res, crlfDelay: Infinity })
    try {
      for await (const line of lines) {
        if (line.trim() !== '') {
          yield JSON.parse(line) as EventView
        }
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
}
