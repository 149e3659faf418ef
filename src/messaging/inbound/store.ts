/**
 * Stage 6, store: what an opened payload does. A receipt moves this node's
 * sent messages forward (delivered, read); a text is stored exactly once and
 * announced as a message (from a contact or accepted conversation) or a
 * request (from a stranger). A text fetched from a mailbox is receipted, as
 * its sender may be offline and waiting.
 *
 * @module
 */
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { Payload } from '../../crypto/envelope.js'
import { DmResponse } from '../../pb/dm.js'
import { wireUint } from '../../util/wire-int.js'
import { requestsInboxVerdict, resolveRequestLimits } from '../inbound-limits.js'
import { toIncoming } from '../types.js'
import type { OpenedInbound, Verdict } from './types.js'
import type { Clock } from '../../util/clock.js'
import type { MessageStore, RequestUsage } from '../../store/index.js'
import type { RequestLimits } from '../inbound-limits.js'
import type { MessengerEvents } from '../types.js'

/** Where the store stage asks for receipts to be sent. */
export interface ReceiptSink {
  /** Receipts `ids` from `peer` as `state`; never throws, never waits. */
  send(peer: string, ids: string[], state: Payload.ReceiptState): void
}

/** What {@link storeStage} needs. */
export interface StoreComponents {
  messages: Pick<MessageStore, 'get' | 'insertIncoming' | 'setState' | 'setEnvelope' | 'getEnvelope'>
  /** Runs `fn` in one store transaction. */
  transaction<T>(fn: () => T): T
  /** Whether a sender is a contact or accepted conversation; else its message goes to the requests inbox. */
  isTrusted(peer: string): boolean
  /** What a stranger's pending request holds. */
  usage(peer: string): RequestUsage
  events: MessengerEvents
  receipts: ReceiptSink
  /** Takes CONTROL payloads (1.2, PROTOCOL.md §4.4: src/messaging/control.ts); without it they are acknowledged and dropped. */
  control?: (from: string, payload: Payload) => void
  clock: Clock
  /** Caps of the requests inbox. @default resolveRequestLimits() */
  requestLimits?: RequestLimits
}

/** What the stamp checked by the authorize stage needs once the message is kept. */
export interface StampTicket {
  /** Records the stamp as spent (inside the transaction that keeps the message). */
  commit(): void
}

/** Applies an opened payload and returns the verdict (OK, or a full requests inbox). */
export function storeStage ({ messages, transaction, isTrusted, usage, events, receipts, control, clock, requestLimits }: StoreComponents): (message: OpenedInbound, stamp: StampTicket) => Verdict {
  const limits = requestLimits ?? resolveRequestLimits()
  function applyReceipt (from: string, payload: Payload): void {
    const state = payload.receiptState === Payload.ReceiptState.READ ? 'read' : 'delivered'
    for (const raw of payload.receiptIds) {
      const id = uint8ArrayToString(raw, 'base16')
      const message = messages.get(id)
      if (message?.direction !== 'out' || message.peer !== from) {
        continue
      }
      const change = messages.setState(id, state)
      if (change.changed) {
        // reaching delivered or read already dropped the kept envelope
        events.state({ id, peer: from, state, at: clock.now() })
      } else if (messages.getEnvelope(id) != null) {
        messages.setEnvelope(id, null)
      }
    }
  }

  return ({ payload, from, hexId, id, envelope, via }, stamp) => {
    if (payload.type === Payload.Type.RECEIPT) {
      transaction(() => {
        applyReceipt(from, payload)
        stamp.commit()
      })
      return { status: DmResponse.Status.OK, id }
    }
    if (payload.type === Payload.Type.CONTROL) {
      control?.(from, payload)
      stamp.commit()
      return { status: DmResponse.Status.OK, id }
    }
    if (!isTrusted(from)) {
      const full = requestsInboxVerdict({ usage: usage(from), textBytes: Buffer.byteLength(payload.text) }, limits)
      if (full != null) {
        return { ...full, id }
      }
    }
    // the message and its stamp's record commit together: refused for a passing fault, both can come again
    const result = transaction(() => {
      const inserted = messages.insertIncoming({
        id: hexId,
        peer: from,
        text: payload.text,
        sentAt: wireUint(envelope.body.sentAt, 'envelope sent_at'),
        seq: wireUint(payload.seq, 'payload seq'),
        receivedAt: clock.now()
      })
      stamp.commit()
      return inserted
    })
    if (result.inserted) {
      const incoming = toIncoming(result.message, via, clock.now())
      if (result.accepted) {
        events.message(incoming)
      } else {
        events.request(incoming)
      }
    }
    if (via === 'mailbox') {
      // the sender may be offline: tell it the message arrived
      receipts.send(from, [hexId], Payload.ReceiptState.DELIVERED)
    }
    return { status: DmResponse.Status.OK, id }
  }
}
