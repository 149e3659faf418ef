/**
 * Names for the control API's wire types, all inferred from the contract
 * (`./contract/`), where each operation and view is declared once. Kept so
 * code can say `SendResponse` instead of `ReplyOf<typeof api.send>`.
 *
 * @module
 */
import type { Replies, Requests } from './contract/index.js'

export { API_PREFIX } from './contract/index.js'
export type {
  ApiErrorBody, BlockedView, ConfigView, ContactView, ConversationView, ErrorDetails, EventView, HeldView,
  GroupChangeView, GroupConversationView, GroupMemberView, GroupMessageView, GroupView,
  MessageStateView, MessageView, PresenceView, RequestView, SendWait, StatusView, StorageView
} from './contract/index.js'

/** `GET /v1/id`. */
export type NodeInfo = Replies['id']
/** `POST /v1/contacts` body. */
export type AddContactRequest = Requests['addContact']['body']
/** `POST /v1/contacts` reply. */
export type AddContactResponse = Replies['addContact']
/** `GET /v1/contacts/:contact/safety-number` reply. */
export type SafetyNumberResponse = Replies['safetyNumber']
/** `POST /v1/contacts/:contact/verify` body. */
export type VerifyRequest = NonNullable<Requests['verifyContact']['body']>
/** `POST /v1/contacts/:contact/accept-key` reply. */
export type AcceptKeyResponse = Replies['acceptKey']
/** `POST /v1/identity/export` body. */
export type ExportIdentityRequest = Requests['exportIdentity']['body']
/** `POST /v1/identity/export` reply. */
export type ExportIdentityResponse = Replies['exportIdentity']
/** `PATCH /v1/contacts/:contact` body. */
export type RenameContactRequest = Requests['renameContact']['body']
/** `POST /v1/send` body. */
export type SendRequest = Requests['send']['body']
/** `POST /v1/send` reply. */
export type SendResponse = Replies['send']
/** `GET /v1/history` reply. */
export type HistoryResponse = Replies['history']
/** `GET /v1/presence` reply. */
export type PresenceResponse = Replies['presence']
/** `PUT /v1/presence` body. */
export type SetPresenceRequest = Requests['setPresence']['body']
/** `GET /v1/resolve` reply. */
export type ResolveResponse = Replies['resolve']
/** `GET /v1/peers` reply. */
export type PeersResponse = Replies['peers']
/** `POST /v1/ping` body. */
export type PingRequest = Requests['ping']['body']
/** `POST /v1/ping` reply. */
export type PingResponse = Replies['ping']
/** `GET /v1/requests` reply. */
export type RequestsResponse = Replies['requests']
/** `GET /v1/blocked` reply. */
export type BlockedResponse = Replies['blocked']
/** `POST /v1/read` reply. */
export type ReadResponse = Replies['markRead']
/** `GET /v1/inbox` reply. */
export type InboxResponse = Replies['inbox']
/** `GET /v1/config` and `PATCH /v1/config` reply. */
export type ConfigResponse = Replies['config']
/** `POST /v1/stop` reply. */
export type StopResponse = Replies['stop']
