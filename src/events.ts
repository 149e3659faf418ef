/**
 * The events a natter node emits.
 *
 * @module
 */
import type { ContactKeyChange } from './contacts/key-change.js'
import type { GroupChangeEvent, GroupMessage, GroupMessageState } from './groups/api.js'
import type { IncomingMessage, MessageStateChange } from './messaging/types.js'
import type { Presence } from './presence/service.js'
import type { StorageStatus } from './store/health.js'

/** Events a natter node emits. */
export interface NatterEvents {
  /** A direct message from a contact or accepted peer arrived (each message id once). */
  message: CustomEvent<IncomingMessage>
  /** A message from a stranger arrived; it waits in the requests inbox. */
  request: CustomEvent<IncomingMessage>
  /** A sent message changed state: queued → sent → delivered → read, or failed. */
  'message:state': CustomEvent<MessageStateChange>
  /** Another peer's presence changed, including lapsing to `offline`. */
  presence: CustomEvent<Presence>
  /**
   * A contact was presented with a different identity key (peer id) than the
   * one pinned: messages to it are held until `natter.contacts.acceptKey`
   * (or `rejectKey`). Warn the user loudly.
   */
  'contact:key-changed': CustomEvent<ContactKeyChange>
  /**
   * The store switched to read-only (its disk refused a write: full, failing)
   * or back to writable. While read-only the node keeps running: history and
   * contacts can be read, peers are told to try later, and nothing stored
   * before is lost. Tell the user loudly.
   */
  storage: CustomEvent<StorageStatus>
  /** An incoming group message (each id once; a blocked member's are not shown). */
  'group:message': CustomEvent<GroupMessage>
  /** A group was created, joined, left, renamed, or its membership changed. */
  'group:changed': CustomEvent<GroupChangeEvent>
  /** An outgoing group message was delivered to / read by one more member. */
  'group:message:state': CustomEvent<GroupMessageState>
}
