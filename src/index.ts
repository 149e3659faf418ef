/**
 * natter — a peer-to-peer instant messenger library.
 *
 * Nodes find each other through a Kademlia DHT, publish signed presence over
 * gossipsub and exchange end-to-end encrypted, signed direct messages. There
 * is no server and no operator. The wire protocol is specified in PROTOCOL.md.
 *
 * Importing the library changes nothing global. On Node 20, `createNatter`
 * installs `Promise.withResolvers` (which libp2p calls) before it creates a
 * libp2p node; an embedder that runs its own libp2p node first calls
 * {@link ensurePromiseWithResolvers}.
 *
 * @example
 * ```ts
 * import { createNatter } from 'natter'
 *
 * const natter = await createNatter({ dataDir: './alice', listen: ['/ip4/127.0.0.1/tcp/0'] })
 * natter.addEventListener('message', (e) => console.log(e.detail.from, e.detail.text))
 * ```
 *
 * @module
 */
export { createNatter, Natter } from './natter.js'
export type { NatterComponents, MailboxApi, StorageApi, StorageStatus, RequestLimits } from './natter.js'
export type { NatterInit } from './init.js'
export { DEFAULT_NATTER_RATE_LIMITS } from './init.js'
export type { NatterEvents } from './events.js'
export type { Contacts, Contact, ContactKeyChange } from './contacts/index.js'
export type { Messages, SendOptions, SentMessage } from './messaging/api.js'
export type { IncomingMessage, MessageStateChange, Via } from './messaging/types.js'
export type { Requests, MessageRequest } from './requests/index.js'
export type { Blocklist, BlockedPeer } from './blocklist/index.js'
export type { PresenceApi, Presence, Status, PresenceStatus } from './presence/index.js'
export type { Groups, GroupInfo, GroupMember, GroupMessage, GroupRole, GroupSendResult, GroupChange, GroupChangeEvent, GroupMessageState } from './groups/api.js'
export type { Message, ConversationSummary, HistoryOptions, HistoryCursor, MessageState, OutgoingState, IncomingState, Store } from './store/index.js'
export { openStore } from './store/index.js'
export { encodeInvite, decodeInvite, isInvite, INVITE_PREFIX } from './invite.js'
export type { Invite } from './invite.js'
export { MAILBOX_PROTOCOL } from './mailbox/protocol.js'
export { PRESENCE_TOPIC, MAX_NOTE_BYTES } from './presence/constants.js'
export { DM_PROTOCOL, DM_PROTOCOL_13 } from './dm/constants.js'
export { DHT_PROTOCOL } from './network/constants.js'
export { natterServices, createNetwork } from './network/libp2p.js'
export type { NatterLibp2p, NatterServices, NatterServicesInit, ServicePolicies, NetworkInit } from './network/libp2p.js'
export { natterServicePolicies } from './policies.js'
export { advertisedAddresses, isDialableFromInternet, RELAY_DATA_LIMIT, RELAY_DURATION_LIMIT_MS, RELAY_MAX_RESERVATIONS } from './network/reachability.js'
export type { NetworkMode, Reachability } from './network/reachability.js'
export { ensurePromiseWithResolvers } from './polyfill.js'
export { DEFAULT_RATE_LIMITS } from './abuse/constants.js'
export type { RateLimitTiers, RateLimitRule } from './abuse/index.js'
export { MAX_TEXT_BYTES, MAX_ENVELOPE_BYTES } from './crypto/envelope.js'
export { loadOrCreateIdentity } from './keys/identity.js'
export type { Passphrase } from './keys/identity.js'
export { importIdentity, setPassphrase, identityFileStatus, BACKUP_PREFIX } from './keys/index.js'
export type { IdentityFileStatus, ImportIdentityOptions, ImportIdentityResult, SetPassphraseOptions } from './keys/index.js'
export { safetyNumber, PREKEY_NAMESPACE } from './sessions/index.js'
export type { SafetyNumber } from './sessions/index.js'
export * from './errors.js'
export { NatterOptionsSchema } from './options.js'
export type { NatterOptions } from './options.js'
