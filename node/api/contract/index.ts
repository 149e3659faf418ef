/**
 * The daemon's control API contract: every operation declared once (method,
 * path, request and reply schemas, inferred types, error names). The server
 * binds one handler per operation (`node/api/handlers.ts`), the CLI's client
 * calls them by name (`client.api.send({ body })`), and node/API.md is
 * generated from and tested against this list (`npm run api-doc`).
 *
 * Adding an operation: declare it in the area file here, add its handler
 * (type-checking fails until it exists), and the CLI command that calls it.
 *
 * @example
 * ```ts
 * import { api, type ReplyOf } from './node/api/contract/index.js'
 * api.send.path                        // '/v1/send'
 * type Sent = ReplyOf<typeof api.send> // { message: MessageView, held?: HeldView }
 * ```
 *
 * @module
 */
import * as configOps from './config.js'
import * as contacts from './contacts.js'
import * as events from './events.js'
import * as groups from './groups.js'
import * as identity from './identity.js'
import * as inbox from './inbox.js'
import * as messages from './messages.js'
import * as node from './node.js'
import * as presence from './presence.js'
import * as requests from './requests.js'

/** Every operation of the API, by name, in the order node/API.md lists them. */
export const api = {
  id: node.id,
  resolve: node.resolve,
  peers: node.peers,
  ping: node.ping,
  connect: node.connect,
  listContacts: contacts.listContacts,
  addContact: contacts.addContact,
  getContact: contacts.getContact,
  renameContact: contacts.renameContact,
  removeContact: contacts.removeContact,
  safetyNumber: contacts.safetyNumber,
  verifyContact: contacts.verifyContact,
  acceptKey: contacts.acceptKey,
  rejectKey: contacts.rejectKey,
  exportIdentity: identity.exportIdentity,
  send: messages.send,
  history: messages.history,
  markRead: messages.markRead,
  inbox: inbox.inbox,
  listGroups: groups.listGroups,
  createGroup: groups.createGroup,
  getGroup: groups.getGroup,
  renameGroup: groups.renameGroup,
  addGroupMember: groups.addGroupMember,
  removeGroupMember: groups.removeGroupMember,
  leaveGroup: groups.leaveGroup,
  sendGroup: groups.sendGroup,
  groupHistory: groups.groupHistory,
  markGroupRead: groups.markGroupRead,
  presence: presence.presence,
  setPresence: presence.setPresence,
  events: events.events,
  requests: requests.requests,
  acceptRequest: requests.acceptRequest,
  declineRequest: requests.declineRequest,
  blocked: requests.blocked,
  block: requests.block,
  unblock: requests.unblock,
  config: configOps.config,
  setConfig: configOps.setConfig,
  stop: node.stop
} as const

/** The API's operations, by name. */
export type Api = typeof api
/** An operation's name. */
export type OperationName = keyof Api
/** The names of the request/reply operations. */
export type JsonOperationName = { [K in OperationName]: Api[K]['kind'] extends 'json' ? K : never }[OperationName]
/** The names of the streaming operations. */
export type StreamOperationName = { [K in OperationName]: Api[K]['kind'] extends 'stream' ? K : never }[OperationName]

/** What each operation answers, by name: `Replies['send']`. */
export type Replies = { [K in JsonOperationName]: ReplyOf<Api[K]> }
/** What each operation takes, by name: `Requests['send']['body']`. */
export type Requests = { [K in OperationName]: RequestOf<Api[K]> }

export { operation, streamOperation, requestPath } from './operation.js'
export type { ItemOf, JsonOperation, Method, Operation, OptionalRequest, PathParams, ReplyOf, RequestOf, StreamOperation } from './operation.js'
export * from './views.js'
export { EventViewSchema, type EventView } from './events.js'
export { SendWaitSchema, type SendWait } from './messages.js'
export { ConversationViewSchema, type ConversationView } from './inbox.js'
export {
  GroupChangeViewSchema, GroupConversationViewSchema, GroupMemberViewSchema, GroupMessageViewSchema, GroupViewSchema,
  type GroupChangeView, type GroupConversationView, type GroupMemberView, type GroupMessageView, type GroupView
} from './groups.js'
export { ConfigViewSchema, type ConfigView } from './config.js'

import type { ReplyOf, RequestOf } from './operation.js'
