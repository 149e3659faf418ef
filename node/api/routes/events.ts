/**
 * The live event stream, `GET /v1/events`: newline-delimited JSON, one
 * {@link EventView} per line, starting with `ready` and ending with
 * `shutdown` when the daemon stops. `?peer=<contact|peerId>` keeps only
 * events about that peer.
 *
 * @module
 */
import type { Messenger } from '../../messenger.js'
import type { Route } from '../server.js'
import type { EventView } from '../types.js'

/** What the event route needs. */
export interface EventRoutesComponents {
  messenger: Messenger
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

/** The event route. */
export function eventRoutes (components: EventRoutesComponents): Route[] {
  const { messenger } = components
  const heartbeatMs = components.heartbeatMs ?? 15_000
  return [
    {
      method: 'GET',
      path: '/v1/events',
      async handle ({ query, res, signal, closing }) {
        const filter = query.get('peer')
        const only = filter == null || filter === '' ? undefined : messenger.resolvePeer(filter)
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
        const unsubscribe = messenger.subscribe(event => {
          const peer = peerOf(event)
          if (only == null || peer == null || peer === only) {
            write(event)
          }
        })
        const heartbeat = setInterval(() => { write({ type: 'heartbeat', at: Date.now() }) }, heartbeatMs)
        write({ type: 'ready', peerId: messenger.peerId })

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
        return undefined
      }
    }
  ]
}
