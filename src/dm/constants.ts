/**
 * Limits of the direct-message protocol `/natter/dm/1.0.0` (PROTOCOL.md §5,
 * §8.7, §10).
 *
 * @module
 */
import { MAX_ENVELOPE_BYTES } from '../crypto/envelope.js'

/** Protocol id of direct messages (§5). */
export const DM_PROTOCOL = '/natter/dm/1.0.0'
/**
 * 1.3 (§5.2): the same frames, and the dialer may send a RATCHET envelope of
 * an established session without its signature. Dialers propose it first and
 * fall back to {@link DM_PROTOCOL} (a 1.2 peer).
 */
export const DM_PROTOCOL_13 = '/natter/dm/1.3.0'
/** The DM protocol ids a 1.3 node speaks, preferred first. */
export const DM_PROTOCOLS = [DM_PROTOCOL_13, DM_PROTOCOL]
/** Largest DM frame: a DmRequest carrying the largest envelope (§10). */
export const MAX_DM_FRAME_BYTES = MAX_ENVELOPE_BYTES + 16
/** An inbound stream with no complete frame for this long is closed, in ms (§5). */
export const DM_IDLE_TIMEOUT_MS = 60_000
/** How long a DM stream stays unread after a RATE_LIMITED reply, in ms (§8.6). */
export const RATE_LIMIT_PAUSE_MS = 1000
/** Inbound DM streams per connection (§8.7). */
export const DM_MAX_INBOUND_STREAMS = 8
/** Outbound DM streams per connection. */
export const DM_MAX_OUTBOUND_STREAMS = 64
/** Envelopes of one inbound DM stream handled at once (replies still go out in order, PROTOCOL.md §5). */
export const DM_PIPELINE_DEPTH = 32
