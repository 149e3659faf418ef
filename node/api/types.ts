/**
 * The control API's wire types: what each endpoint takes and returns, and the
 * events of `GET /v1/events`. Documented endpoint by endpoint in
 * `node/API.md`. Shared by the daemon (which produces them) and the CLI
 * client (which consumes them); they hold only JSON-safe values.
 *
 * @module
 */

/** Version prefix of every path. */
export const API_PREFIX = '/v1'

/** A status a user can choose. */
export type StatusView = 'online' | 'away' | 'busy'

/** A peer's presence, as seen by this node. */
export interface PresenceView {
  peerId: string
  /** The contact's name, when the peer is a contact. */
  name?: string
  status: StatusView | 'offline'
  note: string
  /** When the peer issued the record, ms since the epoch. */
  updatedAt: number
  /** When the record lapses, ms since the epoch. */
  expiresAt: number
}

/** `GET /v1/id`. */
export interface NodeInfo {
  peerId: string
  /** Multiaddrs ending in `/p2p/<peerId>`. */
  addresses: string[]
  /** An invite another user can paste into `natter contacts add`. */
  invite: string
  presence: PresenceView
  /** The daemon's pid and home. */
  pid: number
  home: string
  /** Peers connected now. */
  connections: number
  /** Whether the store takes writes; `read-only` while its disk is full or failing (messages are refused "try later"). */
  storage: StorageView
}

/** The store's writability. */
export interface StorageView {
  state: 'ok' | 'read-only'
  /** With `read-only`: why (e.g. `SQLITE_FULL: …`). */
  reason?: string
  /** Since when, ms since the epoch. */
  since: number
}

/** A contact. */
export interface ContactView {
  name: string
  peerId: string
  /** ms since the epoch. */
  addedAt: number
  verified: boolean
  blocked: boolean
  /** Last known multiaddrs. */
  addresses: string[]
  /** The pinned identity key (the Ed25519 public key behind `peerId`), hex; `null` if none is pinned yet. */
  identityKey: string | null
  /**
   * A different identity key was presented for this contact and awaits the
   * user's decision: messages to the contact are held until
   * `POST /v1/contacts/:contact/accept-key` or `…/reject-key`.
   */
  keyChanged: boolean
  /** The peer id of the new key, when `keyChanged`; otherwise `null`. */
  pendingPeerId: string | null
  /** The new key, hex, when `keyChanged`; otherwise `null`. */
  pendingIdentityKey: string | null
}

/** `POST /v1/contacts` body. */
export interface AddContactRequest {
  /** Left out for an invite: the name the invite suggests (refused when it is another contact's). */
  name?: string
  /** A peer id or an invite (`natter:…`). */
  peer: string
}

/**
 * `POST /v1/contacts` reply: `201` when the contact was added, `200` when the
 * name is already a contact with another peer id (its identity key changed:
 * `contact.keyChanged` is set and nothing was dialled).
 */
export interface AddContactResponse {
  contact: ContactView
  /** Addresses from the invite, kept as bootstrap peers (empty when added by peer id). */
  bootstrap: string[]
  /** Whether the node is connected to the contact now. */
  connected: boolean
}

/** `GET /v1/contacts/:contact/safety-number[?pending=true]` reply. */
export interface SafetyNumberResponse {
  /** The peer the number is for (with `pending`, the contact's new peer id). */
  peerId: string
  /** The contact's name, when the peer is a contact. */
  name?: string
  /** 60 decimal digits; the same on both sides. */
  digits: string
  /** The digits in twelve groups of five, for display. */
  groups: string[]
  /** What a QR code of the number encodes. */
  qr: string
  /** Whether the contact is marked verified (false for a peer that is not a contact). */
  verified: boolean
  /** Whether this is the number of the contact's new, not yet accepted key. */
  pending: boolean
}

/** `POST /v1/contacts/:contact/verify` body. */
export interface VerifyRequest {
  /** @default true */
  verified?: boolean
}

/** `POST /v1/contacts/:contact/accept-key` reply. */
export interface AcceptKeyResponse {
  /** The contact under its new peer id, unverified. */
  contact: ContactView
  /** The peer id it had before. */
  previousPeerId: string
}

/** `POST /v1/identity/export` body. */
export interface ExportIdentityRequest {
  /** The passphrase the backup is sealed under (not the key file's). */
  passphrase: string
  /** Include the contact list. @default false */
  contacts?: boolean
}

/** `POST /v1/identity/export` reply. */
export interface ExportIdentityResponse {
  /** One line: `natter-backup-v1:…`. */
  backup: string
  peerId: string
  /** How many contacts it holds. */
  contacts: number
}

/** `PATCH /v1/contacts/:contact` body. */
export interface RenameContactRequest {
  name: string
}

/** Delivery and read states of a stored message. */
export type MessageStateView = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'received'

/** A message, either direction. */
export interface MessageView {
  /** Lowercase hex, chosen by the sender. */
  id: string
  /** The other party's peer id. */
  peer: string
  direction: 'in' | 'out'
  text: string
  seq: number
  /** By the sender's clock, ms since the epoch. */
  sentAt: number
  /** By this node's clock, for incoming messages; `null` for outgoing ones. */
  receivedAt: number | null
  state: MessageStateView
  /** Why delivery failed, for `failed` messages. */
  failReason?: string
}

/** How long `POST /v1/send` waits: until the message is stored (`queued`) or acknowledged (`delivered`). */
export type SendWait = 'queued' | 'delivered'

/** `POST /v1/send` body. */
export interface SendRequest {
  /** A contact name or a peer id. */
  to: string
  text: string
  /** @default 'delivered' */
  wait?: SendWait
}

/** Why messages to a contact are held. */
export interface HeldView {
  /** The contact's name. */
  contact: string
  /** Its current (accepted) peer id, where the message is addressed. */
  peerId: string
  /** The peer id of its new, not yet accepted identity key. */
  newPeerId: string
}

/** `POST /v1/send` reply. */
export interface SendResponse {
  message: MessageView
  /**
   * Set when the recipient is a contact whose identity key changed: the
   * message is stored but held until the new key is accepted or rejected
   * (only with `wait: "queued"`; `"delivered"` answers 409 `IdentityKeyChangedError`).
   */
  held?: HeldView
}

/** `GET /v1/history` reply. */
export interface HistoryResponse {
  peer: string
  /** The contact's name, when the peer is a contact. */
  name?: string
  /** Oldest first. */
  messages: MessageView[]
}

/** `GET /v1/presence` reply. */
export interface PresenceResponse {
  own: PresenceView
  /** Contacts (with what is known of their presence; `offline` when nothing is) and other peers seen. */
  peers: PresenceView[]
}

/** `PUT /v1/presence` body. */
export interface SetPresenceRequest {
  status: StatusView
  /** @default '' */
  note?: string
}

/** `GET /v1/resolve?peer=<contact|peerId>` reply. */
export interface ResolveResponse {
  peerId: string
  /** The contact's name, when the peer is a contact. */
  name?: string
}

/** `GET /v1/peers` reply. */
export interface PeersResponse {
  peers: Array<{ peerId: string, name?: string }>
}

/** `POST /v1/ping` body and reply. */
export interface PingRequest {
  peer: string
}
export interface PingResponse {
  peerId: string
  /** Round-trip time, ms, fractional (e.g. 0.214 on a LAN). */
  rttMs: number
}

/** A pending message request (a non-contact wrote). */
export interface RequestView {
  peer: string
  count: number
  first: MessageView
  last: MessageView
}

/** `GET /v1/requests` reply. */
export interface RequestsResponse {
  requests: RequestView[]
}


/** A blocked peer. */
export interface BlockedView {
  peerId: string
  /** ms since the epoch. */
  blockedAt: number
}

/** `GET /v1/blocked` reply. */
export interface BlockedResponse {
  blocked: BlockedView[]
}

/** `POST /v1/read` reply. */
export interface ReadResponse {
  peerId: string
  /** How many messages were newly marked read. */
  marked: number
}

/** One conversation of the inbox. */
export interface ConversationView {
  /** The other party's peer id. */
  peer: string
  /** The contact's name, when the peer is a contact (accepted strangers have none). */
  name?: string
  /** Whether the peer is a contact. */
  contact: boolean
  /** Received messages not read yet. */
  unread: number
  /** The latest message; `null` for a contact with no messages yet. */
  last: MessageView | null
  /** What is known of the peer's presence (`offline` when nothing is). */
  presence: PresenceView
}

/** `GET /v1/inbox` reply. */
export interface InboxResponse {
  /** Conversations with messages, the most recent first, then contacts with none. */
  conversations: ConversationView[]
  /** Pending message requests (strangers), not part of the list: see `GET /v1/requests`. */
  requests: number
}

/** The settings `natter config` shows and changes (the fields of `config.json`). */
export interface ConfigView {
  listen: string[]
  announce: string[]
  bootstrap: string[]
  api: string
  logLevel: 'error' | 'warn' | 'info' | 'debug'
  mdns: boolean
  name: string
  readReceipts: boolean
  notify: 'bell' | 'desktop' | 'off'
}

/** `GET /v1/config` and `PATCH /v1/config` reply. */
export interface ConfigResponse {
  /** The file's settings with defaults filled in. */
  config: ConfigView
  /** Where the file is. */
  path: string
  /** Settings changed by this request that take effect at the next start of the daemon. */
  restartNeeded: Array<keyof ConfigView>
}

/** `POST /v1/stop` reply. */
export interface StopResponse {
  /** The daemon's pid; it exits shortly after replying. */
  pid: number
}

/** One line of `GET /v1/events` (newline-delimited JSON). */
export type EventView =
  /** First line of every stream: the subscription is live. */
  | { type: 'ready', peerId: string }
  /** A message from a contact or accepted peer. */
  | { type: 'message', message: MessageView, name?: string }
  /** A message from a stranger: it waits in the requests inbox. */
  | { type: 'request', message: MessageView }
  /** A sent message changed state. */
  | { type: 'message:state', id: string, peer: string, state: MessageStateView, reason?: string }
  | { type: 'presence', presence: PresenceView }
  /**
   * A contact was presented with a different identity key (peer id): messages
   * to it are held until the user accepts or rejects the new key.
   */
  | { type: 'contact:key-changed', contact: ContactView, peerId: string, newPeerId: string }
  /** The store went read-only (disk full or failing) or became writable again. */
  | { type: 'storage', storage: StorageView }
  /** Sent every 15 s so clients notice a dead connection. */
  | { type: 'heartbeat', at: number }
  /** Last line before the daemon closes the stream on shutdown. */
  | { type: 'shutdown' }

/** Fields an error reply may carry about what failed. */
export interface ErrorDetails {
  contact?: string
  peerId?: string
  newPeerId?: string
  messageId?: string
}

/** Body of every error reply. */
export interface ApiErrorBody {
  error: {
    /** The library's (or the API's) error name, e.g. `ContactNotFoundError`. */
    name: string
    message: string
    /**
     * What the error is about, for the errors that say (`IdentityKeyChangedError`:
     * `contact`, `peerId`, `newPeerId`, `messageId`; delivery errors: `messageId`).
     */
    details?: ErrorDetails
  }
}
