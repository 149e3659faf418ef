/**
 * The live event stream, `GET /v1/events`: newline-delimited JSON, one
 * {@link EventView} per line, starting with `ready` and ending with
 * `shutdown` when the daemon stops. `?peer=<contact|peerId>` keeps only
 * events about that peer.
 *
 * @module
 */
import type { NodeFacade } from '../../node-api.js'
import type { EventView } from '../contract/index.js'
import type { Handlers } from '../handlers.js'

/** What the event handler needs. */
export interface EventHandlersComponents {
  facade: NodeFacade
  /** Heartbeat period, in ms. @default 15000 */
  heartbeatMs?: number
}

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

/** The event handler. */
export function eventHandlers (components: EventHandlersComponents): Pick<Handlers, 'events'> {
  const { facade } = components
  const heartbeatMs = components.heartbeatMs ?? 15_000
  return {
    async events ({ query, res, signal, closing }) {
      const filter = query.peer
      const only = filter == null || filter === '' ? undefined : facade.resolvePeer(filter)
      res.writeHead(200, {
        'content-type': 'application/x-ndjson; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff'
      })
      const write = (event: EventView): void => {
        if (!res.writableEnded) {
          res.write(JSON.stringify(event) + '\n')
        }
      }
      const unsubscribe = facade.subscribe(event => {
        const peer = peerOf(event)
        if (only == null || peer == null || peer === only) {
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
      })
      clearInterval(heartbeat)
      unsubscribe()
      if (closing.aborted) {
        write({ type: 'shutdown' })
      }
      res.end()
    }
  }
}
