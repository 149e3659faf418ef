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
import { toIncoming } from '../types.js'
import type { OpenedInbound, Verdict } from './types.js'
import type { Clock } from '../../util/clock.js'
import type { MessageStore } from '../../store/index.js'
import type { MessengerEvents } from '../types.js'

/** Where the store stage asks for receipts to be sent. */
export interface ReceiptSink {
  /** Receipts `ids` from `peer` as `state`; never throws, never waits. */
  send(peer: string, ids: string[], state: Payload.ReceiptState): void
}

/** What {@link storeStage} needs. */
export interface StoreComponents {
  messages: Pick<MessageStore, 'get' | 'insertIncoming' | 'setState' | 'setEnvelope'>
  events: MessengerEvents
  receipts: ReceiptSink
  clock: Clock
}

/** Applies an opened payload and returns the OK verdict. */
export function storeStage ({ messages, events, receipts, clock }: StoreComponents): (message: OpenedInbound) => Verdict {
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
        events.state({ id, peer: from, state, at: clock.now() })
      }
      messages.setEnvelope(id, null)
    }
  }

  return ({ payload, from, hexId, id, envelope, via }) => {
    if (payload.type === Payload.Type.RECEIPT) {
      applyReceipt(from, payload)
      return { status: DmResponse.Status.OK, id }
    }
    const result = messages.insertIncoming({
      id: hexId,
      peer: from,
      text: payload.text,
      sentAt: wireUint(envelope.body.sentAt, 'envelope sent_at'),
      seq: wireUint(payload.seq, 'payload seq'),
      receivedAt: clock.now()
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
