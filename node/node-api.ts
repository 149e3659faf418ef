/**
 * The daemon's facade over the library: one narrow interface the API handlers use,
 * speaking the API's JSON-safe types. It is the only place that knows the
 * library's shapes, so a library change touches this file and no route.
 *
 * @module
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { BlockedView, ContactView, EventView, MessageView, PresenceView, Replies, RequestView, SendWait, StatusView, StorageView } from './api/contract/index.js'
import { createGroupsFacade } from './groups-api.js'
import type { GroupsFacade } from './groups-api.js'
import type { Contact, ContactKeyChange, IncomingMessage, Message, MessageRequest, MessageStateChange, Natter, Presence, Reachability, StorageStatus } from '../src/index.js'

/** Contacts, addressed by name or peer id. */
export interface ContactsApi {
  /** Adds a contact by peer id or invite (an invite's addresses become bootstrap peers). */
  add(name: string, peerIdOrInvite: string): Promise<ContactView>
  list(): ContactView[]
  /** The contact with this name or peer id, or undefined. */
  get(nameOrPeerId: string): ContactView | undefined
  rename(nameOrPeerId: string, newName: string): ContactView
  remove(nameOrPeerId: string): ContactView
  /** Marks a contact verified (safety number compared) or not. */
  setVerified(nameOrPeerId: string, verified: boolean): ContactView
  /** Makes the contact's pending identity key its key; held messages are sent again to it. */
  acceptKey(nameOrPeerId: string): Promise<ContactView>
  /** Forgets the contact's pending identity key; held messages go out to the current one. */
  rejectKey(nameOrPeerId: string): ContactView
}

/** A safety number, without who it is for. */
export type SafetyNumberView = Pick<Replies['safetyNumber'], 'digits' | 'groups' | 'qr'>

/**
 * What the API handlers need from the running node (named apart from the
 * library's `Messenger`, which sends and receives messages inside it).
 */
export interface NodeFacade {
  readonly peerId: string
  readonly addresses: string[]
  /** How others reach this node (public, relayed, none, local). */
  readonly reachability: Reachability
  readonly connectedPeers: string[]
  readonly contacts: ContactsApi
  /** Group conversations (issue 16). */
  readonly groups: GroupsFacade
  /** An invite for this node. */
  invite(name?: string): string
  /**
   * The peer id of a contact name or peer id. Throws `InvalidPeerIdError` for
   * something shaped like a peer id that is not one, `ContactNotFoundError`
   * for an unknown name.
   */
  resolvePeer(nameOrPeerId: string): string
  /** The contact name of a peer id, if it is a contact. */
  nameOf(peerId: string): string | undefined
  /**
   * The safety number of this node and a contact or peer; with `pending`, for
   * the contact's new, not yet accepted key (`NoPendingIdentityKeyError` if none).
   */
  safetyNumber(nameOrPeerId: string, options: { pending?: boolean }): SafetyNumberView
  /** An encrypted backup (`natter-backup-v1:…`) of the identity, and of the contacts if asked. */
  exportIdentity(passphrase: string, options: { contacts: boolean }): Promise<string>
  send(peer: string, text: string, options: { wait: SendWait, signal?: AbortSignal }): Promise<MessageView>
  /** Oldest first. */
  history(peer: string, options: { before?: number, limit?: number }): MessageView[]
  /** Marks the conversation read; returns how many messages changed. */
  markRead(peer: string): Promise<number>
  /** Conversations with their last message and unread count, the most recent first. */
  conversations(): Array<{ peer: string, unread: number, last: MessageView }>
  /** Turns read receipts on or off while the node runs. */
  setReadReceipts(on: boolean): void
  /** Changes who sees this node's presence (the `presenceVisibility` setting). */
  setPresenceVisibility(visibility: 'invisible' | 'contacts' | 'public'): Promise<void>
  /** Who sees this node's presence. */
  presenceVisibility(): 'invisible' | 'contacts' | 'public'
  setPresence(status: StatusView, note: string): Promise<PresenceView>
  ownPresence(): PresenceView
  /** Whether the store takes writes (read-only while the disk is full). */
  storage(): StorageView
  presences(): PresenceView[]
  connect(address: string, options: { bootstrap?: boolean, signal?: AbortSignal }): Promise<void>
  ping(peer: string, options: { signal?: AbortSignal }): Promise<number>
  requests(): RequestView[]
  acceptRequest(peer: string): void
  /** Returns how many messages were deleted. */
  declineRequest(peer: string, options: { block?: boolean }): number
  block(peer: string): void
  unblock(peer: string): void
  blocked(): BlockedView[]
  /** Calls `listener` for messages, requests, delivery-state, presence, contact key changes and group events; returns the unsubscribe. */
  subscribe(listener: (event: EventView) => void): () => void
  stop(): Promise<void>
}

/** A stored message as the API shows it. */
export function toMessageView (m: Message): MessageView {
  const view: MessageView = {
    id: m.id,
    peer: m.peer,
    direction: m.direction,
    text: m.text,
    seq: m.seq,
    sentAt: m.sentAt,
    receivedAt: m.receivedAt,
    state: m.state
  }
  if (m.failReason != null) {
    view.failReason = m.failReason
  }
  return view
}

function incomingView (m: IncomingMessage): MessageView {
  return { id: m.id, peer: m.from, direction: 'in', text: m.text, seq: m.seq, sentAt: m.sentAt, receivedAt: m.receivedAt, state: 'received' }
}

function hex (bytes: Uint8Array | null): string | null {
  return bytes == null ? null : Buffer.from(bytes).toString('hex')
}

/** The peer id of a raw Ed25519 public key (a natter identity key is its peer id). */
function peerIdOfKey (key: Uint8Array): string {
  return peerIdFromPublicKey(publicKeyFromRaw(key)).toString()
}

/** A contact as the API shows it: keys hex-encoded, a pending key also as its peer id. */
export function toContactView (c: Contact): ContactView {
  return {
    name: c.name,
    peerId: c.peerId,
    addedAt: c.addedAt,
    verified: c.verified,
    blocked: c.blocked,
    addresses: [...c.addresses],
    identityKey: hex(c.identityKey),
    keyChanged: c.pendingIdentityKey != null,
    pendingPeerId: c.pendingIdentityKey == null ? null : peerIdOfKey(c.pendingIdentityKey),
    pendingIdentityKey: hex(c.pendingIdentityKey)
  }
}

function toRequestView (r: MessageRequest): RequestView {
  return { peer: r.peer, count: r.count, first: toMessageView(r.first), last: toMessageView(r.last) }
}

/** Wraps a running node. */
export function createNodeFacade (natter: Natter): NodeFacade {
  const nameOf = (peerId: string): string | undefined => natter.contacts.get(peerId)?.name
  const groups = createGroupsFacade({ groups: natter.groups, events: natter, peerId: natter.peerId, nameOf })
  const presenceView = (p: Presence): PresenceView => {
    const name = nameOf(p.peerId)
    const view: PresenceView = { peerId: p.peerId, status: p.status, note: p.note, updatedAt: p.updatedAt, expiresAt: p.expiresAt }
    if (name != null) {
      view.name = name
    }
    return view
  }
  const named = <E extends EventView & { name?: string }>(event: E, peer: string): E => {
    const name = nameOf(peer)
    return name == null ? event : { ...event, name }
  }

  return {
    get peerId () { return natter.peerId },
    get addresses () { return natter.addresses },
    get reachability () { return natter.reachability },
    get connectedPeers () { return natter.connectedPeers },
    contacts: {
      add: async (name, peer) => toContactView(await natter.contacts.add(name, peer)),
      list: () => natter.contacts.list().map(toContactView),
      get: (key) => {
        const c = natter.contacts.get(key)
        return c == null ? undefined : toContactView(c)
      },
      rename: (key, name) => toContactView(natter.contacts.rename(key, name)),
      remove: (key) => toContactView(natter.contacts.remove(key)),
      setVerified: (key, verified) => toContactView(natter.contacts.setVerified(key, verified)),
      acceptKey: async (key) => toContactView(await natter.contacts.acceptKey(key)),
      rejectKey: (key) => toContactView(natter.contacts.rejectKey(key))
    },
    groups,
    invite: (name) => natter.invite(name),
    resolvePeer: (value) => natter.contacts.resolve(value.trim()).peerId.toString(),
    nameOf,
    safetyNumber: (key, options) => {
      const { digits, groups, qr } = natter.contacts.safetyNumber(key.trim(), { pending: options.pending === true })
      return { digits, groups: [...groups], qr }
    },
    exportIdentity: async (passphrase, options) => natter.exportIdentity(passphrase, { contacts: options.contacts }),
    send: async (peer, text, options) => toMessageView(await natter.send(peer, text, options)),
    history: (peer, options) => natter.messages.history(peer, options).map(toMessageView),
    markRead: async (peer) => natter.messages.markRead(peer),
    conversations: () => natter.messages.conversations().map(c => ({ peer: c.peer, unread: c.unread, last: toMessageView(c.lastMessage) })),
    setReadReceipts: (on) => { natter.messages.setReadReceipts(on) },
    setPresenceVisibility: async (v) => { await natter.presence.setVisibility(v) },
    presenceVisibility: () => natter.presence.visibility(),
    setPresence: async (status, note) => presenceView(await natter.presence.set({ status, note })),
    ownPresence: () => presenceView(natter.presence.own()),
    storage: () => storageView(natter.storage.status()),
    presences: () => natter.presence.list().map(presenceView),
    connect: async (address, options) => { await natter.connect(address, options) },
    ping: async (peer, options) => natter.ping(peer, options),
    requests: () => natter.requests.list().map(toRequestView),
    acceptRequest: (peer) => { natter.requests.accept(peer) },
    declineRequest: (peer, options) => natter.requests.decline(peer, options),
    block: (peer) => { natter.blocklist.block(peer) },
    unblock: (peer) => { natter.blocklist.unblock(peer) },
    blocked: () => natter.blocklist.list().map(b => ({ peerId: b.peerId, blockedAt: b.blockedAt })),

    subscribe (listener) {
      const onMessage = (e: CustomEvent<IncomingMessage>): void => {
        listener(named({ type: 'message', message: incomingView(e.detail) }, e.detail.from))
      }
      const onRequest = (e: CustomEvent<IncomingMessage>): void => {
        listener({ type: 'request', message: incomingView(e.detail) })
      }
      const onState = (e: CustomEvent<MessageStateChange>): void => {
        const d = e.detail
        listener(d.reason == null
          ? { type: 'message:state', id: d.id, peer: d.peer, state: d.state }
          : { type: 'message:state', id: d.id, peer: d.peer, state: d.state, reason: d.reason })
      }
      const onPresence = (e: CustomEvent<Presence>): void => {
        listener({ type: 'presence', presence: presenceView(e.detail) })
      }
      const onKeyChanged = (e: CustomEvent<ContactKeyChange>): void => {
        const d = e.detail
        listener({ type: 'contact:key-changed', contact: toContactView(d.contact), peerId: d.peerId, newPeerId: d.newPeerId })
      }
      natter.addEventListener('message', onMessage)
      natter.addEventListener('request', onRequest)
      natter.addEventListener('message:state', onState)
      natter.addEventListener('presence', onPresence)
      const onStorage = (e: CustomEvent<StorageStatus>): void => {
        listener({ type: 'storage', storage: storageView(e.detail) })
      }
      natter.addEventListener('contact:key-changed', onKeyChanged)
      natter.addEventListener('storage', onStorage)
      const unsubscribeGroups = groups.subscribe(listener)
      return () => {
        unsubscribeGroups()
        natter.removeEventListener('storage', onStorage)
        natter.removeEventListener('message', onMessage)
        natter.removeEventListener('request', onRequest)
        natter.removeEventListener('message:state', onState)
        natter.removeEventListener('presence', onPresence)
        natter.removeEventListener('contact:key-changed', onKeyChanged)
      }
    },

    stop: async () => { await natter.stop() }
  }
}

function storageView (status: StorageStatus): StorageView {
  return status.reason == null ? { state: status.state, since: status.since } : { state: status.state, reason: status.reason, since: status.since }
}
