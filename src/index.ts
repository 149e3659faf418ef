/**
 * natter — a peer-to-peer instant messenger library.
 *
 * Nodes find each other through a Kademlia DHT, publish signed presence over
 * gossipsub and exchange end-to-end encrypted, signed direct messages. There
 * is no server and no operator. The wire protocol is specified in PROTOCOL.md.
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
import './polyfill.js'

export { createNatter, Natter } from './natter.js'
export type {
  NatterInit, NatterEvents, IncomingMessage, SentMessage, SendOptions, Presence, Contacts, Contact, Message,
  MessageRequest, MessageStateChange, ConversationSummary, BlockedPeer, StorageStatus, RequestLimits
} from './natter.js'
export type { HistoryOptions, HistoryCursor, MessageState, OutgoingState, IncomingState } from './store/index.js'
export { encodeInvite, decodeInvite, isInvite, INVITE_PREFIX } from './invite.js'
export type { Invite } from './invite.js'
export {
  StoreError, StoreCorruptError, StoreBusyError, StoreClosedError, StoreVersionError, MigrationError, ContactExistsError,
  ContactNotFoundError, InvalidContactNameError, NoPendingIdentityKeyError, MessageNotFoundError, MessageIdConflictError,
  InvalidMessageStateError, RequestNotFoundError, MailboxQuotaExceededError
} from './store/index.js'
export { MailboxRefusedError, NoMailboxError } from './mailbox/errors.js'
export { MAILBOX_PROTOCOL } from './mailbox/protocol.js'
export type { Status, PresenceStatus } from './presence/record.js'
export { PRESENCE_TOPIC, MAX_NOTE_BYTES } from './presence/record.js'
export { DM_PROTOCOL } from './dm/protocol.js'
export { DHT_PROTOCOL } from './network/libp2p.js'
export { MAX_TEXT_BYTES, MAX_ENVELOPE_BYTES } from './crypto/envelope.js'
export type { Passphrase } from './identity/index.js'
export {
  WrongPassphraseError, PassphraseRequiredError, InvalidKeyFileError, importIdentity, setPassphrase, identityFileStatus, BACKUP_PREFIX
} from './keys/index.js'
export type { IdentityFileStatus, ImportIdentityOptions, ImportIdentityResult, SetPassphraseOptions } from './keys/index.js'
export { IdentityKeyChangedError, safetyNumber, PREKEY_NAMESPACE } from './sessions/index.js'
export type { SafetyNumber } from './sessions/index.js'
export type { ContactKeyChange } from './sessions/key-change.js'
export * from './errors.js'
