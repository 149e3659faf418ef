/**
 * Every handler of the control API, one per operation of the contract,
 * assembled from the area modules. Type-checking fails here when an
 * operation has no handler.
 *
 * @module
 */
import { routesOf } from '../handlers.js'
import { configHandlers } from './config.js'
import { contactKeyHandlers } from './contact-keys.js'
import { contactHandlers } from './contacts.js'
import { eventHandlers } from './events.js'
import { groupHandlers } from './groups.js'
import { identityHandlers } from './identity.js'
import { inboxHandlers } from './inbox.js'
import { messageHandlers } from './messages.js'
import { nodeHandlers } from './node.js'
import { presenceHandlers } from './presence.js'
import { requestHandlers } from './requests.js'
import type { ConfigFile } from '../../config.js'
import type { Log } from '../../log.js'
import type { NodeFacade } from '../../node-api.js'
import type { Handlers } from '../handlers.js'
import type { Route } from '../server.js'

/** What the handlers need, together. */
export interface ApiHandlersComponents {
  facade: NodeFacade
  /** The daemon's home and the name it suggests in invites. */
  home: string
  name: string
  /** Starts the daemon's shutdown (after the reply is sent). */
  requestStop(): void
  log?: Log
  /** Most bytes of events a slow event-stream client may leave unread before it is dropped. */
  eventBufferBytes?: number
  /** Path of `config.json`. */
  configPath: string
  /** Applies the live settings of a changed `config.json`. */
  applyConfig(file: ConfigFile): void
}

/** One handler per operation. */
export function apiHandlers (components: ApiHandlersComponents): Handlers {
  const { facade } = components
  return {
    ...nodeHandlers(components),
    ...contactHandlers({ facade, log: components.log }),
    ...contactKeyHandlers({ facade }),
    ...identityHandlers({ facade }),
    ...messageHandlers({ facade }),
    ...presenceHandlers({ facade }),
    ...eventHandlers({ facade, log: components.log, maxBufferedBytes: components.eventBufferBytes }),
    ...requestHandlers({ facade }),
    ...inboxHandlers({ facade }),
    ...groupHandlers({ facade }),
    ...configHandlers({ path: components.configPath, apply: components.applyConfig })
  }
}

/** The server's routes: every operation bound to its handler. */
export function apiRoutes (components: ApiHandlersComponents): Route[] {
  return routesOf(apiHandlers(components))
}
