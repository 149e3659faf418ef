/**
 * The messages a user reads and writes: `natter.messages`.
 *
 * @module
 */
import { MAX_TEXT_BYTES } from '../crypto/envelope.js'
import { InvalidArgumentError, MessageTooLargeError } from '../base-errors.js'
import type { Messenger } from './messenger.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { ConversationSummary, HistoryOptions, Message, MessageStore, OutgoingMessage } from '../store/index.js'

/** A message this node sent, with its delivery state. */
export type SentMessage = OutgoingMessage

/** Options of {@link Messages.send}. */
export interface SendOptions {
  /**
   * `'delivered'` (default): resolve once the recipient acknowledged; on
   * failure the error says why, and the message stays queued for retry
   * (`err.messageId`). `'queued'`: resolve as soon as the message is persisted.
   */
  wait?: 'queued' | 'delivered'
  /** Aborts waiting (the message stays queued). */
  signal?: AbortSignal
}

/** Conversations: sending, history, read state. */
export interface Messages {
  /**
   * Sends `text` to a peer (peer id or contact name), end-to-end encrypted.
   * The message is persisted first; it is then delivered directly, or left
   * with mailbox peers and retried until the recipient acknowledges it.
   * Follow it with the `message:state` event or {@link Messages.history}.
   *
   * With `wait: 'delivered'` (the default) resolves once acknowledged, and
   * otherwise throws why not (`PeerNotFoundError`, `PeerUnreachableError`,
   * `DeliveryTimeoutError`, `DeliveryRefusedError`, with `err.messageId`); the
   * message stays queued unless it was refused for good. Always throws
   * `InvalidPeerIdError`, `ContactNotFoundError`, `InvalidArgumentError` or
   * `MessageTooLargeError` before persisting anything.
   */
  send(to: string, text: string, options?: SendOptions): Promise<SentMessage>
  /**
   * A page of the conversation with a peer (peer id or contact name), oldest
   * first: the `limit` (default 50) messages before the `before` cursor.
   */
  history(peer: string, options?: HistoryOptions): Message[]
  /** Every conversation with its last message and unread count. */
  conversations(): ConversationSummary[]
  /** One stored message by id, either direction. */
  get(id: string): Message | undefined
  /** Marks a conversation read (sending a read receipt if enabled); returns how many messages changed. */
  markRead(peer: string): Promise<number>
  /**
   * Turns read receipts on or off while the node runs (the `readReceipts`
   * init option sets the starting value): when on, {@link Messages.markRead}
   * tells the sender that its messages were read.
   */
  setReadReceipts(on: boolean): void
}

/** What the messages API needs. */
export interface MessagesComponents {
  self: Ed25519Peer
  messages: Pick<MessageStore, 'history' | 'conversations' | 'get'>
  messenger: Pick<Messenger, 'send' | 'markRead' | 'setReadReceipts'>
  resolve(nameOrPeerId: string): Ed25519Peer
  /** Throws `NotStartedError` when the node is not running. */
  assertRunning(): void
}

/** Creates the messages API. */
export function createMessages ({ self, messages, messenger, resolve, assertRunning }: MessagesComponents): Messages {
  return {
    async send (to, text, options = {}) {
      assertRunning()
      const recipient = resolve(to)
      if (typeof text !== 'string' || text.length === 0) {
        throw new InvalidArgumentError('message text must be a non-empty string')
      }
      if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) {
        throw new MessageTooLargeError(`message text exceeds ${MAX_TEXT_BYTES} bytes`)
      }
      if (recipient.peerId.equals(self.peerId)) {
        throw new InvalidArgumentError('cannot send a message to yourself')
      }
      return messenger.send(recipient, text, options)
    },
    history: (peer, options = {}) => messages.history(resolve(peer).peerId.toString(), options),
    conversations: () => messages.conversations(),
    get: (id) => messages.get(id),
    markRead: async (peer) => messenger.markRead(resolve(peer).peerId.toString()),
    setReadReceipts: (on) => { messenger.setReadReceipts(on) }
  }
}
