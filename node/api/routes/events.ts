/**
 * The live event stream, `GET /v1/events`: newline-delimited JSON, one
 * {@link EventView} per line, starting with `ready` and ending with
 * `shutdown` when the daemon stops. `?peer=<contact|peerId>` keeps only
 * events about that peer.
 *
 * A client that stops reading cannot grow the daemon's memory: once more than
 * {@link EventHandlersComponents.maxBufferedBytes} wait unsent (the socket's
 * backpressure, `res.writableLength`), the daemon writes a last `overflow`
 * line saying why, ends the stream and, if the client still does not read it
 * within {@link EventHandlersComponents.overflowGraceMs}, closes the connection.
 *
 * @module
 */
import type { Log } from '../../log.js'
import type { NodeFacade } from '../../node-api.js'
import type { EventView } from '../contract/index.js'
import type { Handlers } from '../handlers.js'

/** What the event handler needs. */
export interface EventHandlersComponents {
  facade: NodeFacade
  /** Where a dropped client is reported. */
  log?: Log
  /** Heartbeat period, in ms. @default 15000 */
  heartbeatMs?: number
  /** Most bytes of events waiting for a slow client before it is dropped. @default EVENT_STREAM_MAX_BUFFERED_BYTES (1 MiB) */
  maxBufferedBytes?: number
  /** How long a dropped client has to read the `overflow` line before its connection is closed, in ms. @default 5000 */
  overflowGraceMs?: number
}

/** Default of {@link EventHandlersComponents.maxBufferedBytes}: about 2,000 message events. */
export const EVENT_STREAM_MAX_BUFFERED_BYTES = 1024 * 1024

function peerOf (event: EventView): string | undefined {
  switch (event.type) {
    case 'message':
    case 'request': return event.message.peer
    case 'message:state': return event.peer
    case 'presence': return event.presence.peerId
    case 'contact:key-changed': return event.peerId
    default: return undefined
  }
}

/** The group an event is about, if any. */
function groupOf (event: EventView): string | undefined {
  switch (event.type) {
    case 'group:message': return event.message.groupId
    case 'group:changed': return event.group.id
    case 'group:message:state': return event.groupId
    default: return undefined
  }
}

/** The event handler. */
export function eventHandlers (components: EventHandlersComponents): Pick<Handlers, 'events'> {
  const { facade } = components
  const heartbeatMs = components.heartbeatMs ?? 15_000
  const maxBufferedBytes = components.maxBufferedBytes ?? EVENT_STREAM_MAX_BUFFERED_BYTES
  const overflowGraceMs = components.overflowGraceMs ?? 5000
  return {
    async events ({ query, res, signal, closing }) {
      const filter = query.peer
      const only = filter == null || filter === '' ? undefined : facade.resolvePeer(filter)
      const onlyGroup = query.group == null || query.group === '' ? undefined : facade.groups.get(query.group).id
      res.writeHead(200, {
        'content-type': 'application/x-ndjson; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff'
      })
      let overflowed: (() => void) | undefined
      const dropped = new Promise<void>(resolve => { overflowed = resolve })
      const write = (event: EventView): void => {
        if (res.writableEnded || res.destroyed) {
          return
        }
        const line = JSON.stringify(event) + '\n'
        if (res.writableLength + Buffer.byteLength(line) > maxBufferedBytes) {
          // the client stopped reading: tell it why (if it ever reads again), then let it go
          const reason = `the client read too slowly: more than ${maxBufferedBytes} bytes of events were waiting; reconnect and read history to catch up`
          res.end(JSON.stringify({ type: 'overflow', reason } satisfies EventView) + '\n')
          const timer = setTimeout(() => { res.destroy() }, overflowGraceMs)
          timer.unref()
          res.once('close', () => { clearTimeout(timer) })
          components.log?.warn('dropped an event stream client that stopped reading (%d bytes of events waiting)', res.writableLength)
          overflowed?.()
          return
        }
        res.write(line)
      }
      const unsubscribe = facade.subscribe(event => {
        const peer = peerOf(event)
        const group = groupOf(event)
        const filtered = only != null || onlyGroup != null
        // with a filter: a conversation's events only for it, a group's only for that group, the node's own always
        const wanted = !filtered ||
          (peer == null && group == null) ||
          (peer != null && peer === only) ||
          (group != null && group === onlyGroup)
        if (wanted) {
          write(event)
        }
      })
      const heartbeat = setInterval(() => { write({ type: 'heartbeat', at: Date.now() }) }, heartbeatMs)
      write({ type: 'ready', peerId: facade.peerId })

      await new Promise<void>(resolve => {
        if (signal.aborted || closing.aborted) {
          resolve()
          return
        }
        signal.addEventListener('abort', () => { resolve() }, { once: true })
        closing.addEventListener('abort', () => { resolve() }, { once: true })
        void dropped.then(resolve)
      })
      clearInterval(heartbeat)
      unsubscribe()
      if (closing.aborted) {
        write({ type: 'shutdown' })
      }
      if (!res.writableEnded) {
        res.end()
      }
    }
  }
}
