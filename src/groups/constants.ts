/**
 * The bounds and labels of group conversations (PROTOCOL.md §12).
 *
 * @module
 */

/** Most members of a group, the creator included (§12.8). */
export const MAX_GROUP_MEMBERS = 100
/** Most membership operations one group may hold (§12.8); past it, changes are refused. */
export const MAX_GROUP_OPS = 1024
/** Most parents one op may name. */
export const MAX_OP_PARENTS = 16
/** Longest group or member name, in bytes of UTF-8. */
export const MAX_GROUP_NAME_BYTES = 64
/** Longest group message text, in bytes of UTF-8 (a frame then fits a control payload for catch-up). */
export const MAX_GROUP_TEXT_BYTES = 3000
/** Most groups one node keeps (active, left or removed). */
export const MAX_GROUPS = 256
/** Most groups a node holds as pending invitations (ops whose root it has not seen yet). */
export const MAX_PENDING_GROUPS = 32
/** Most ops held, per group, whose parents have not arrived yet. */
export const MAX_PENDING_OPS = 256
/** Most message keys a receiver keeps for skipped iterations of one chain (out-of-order delivery). */
export const MAX_SKIPPED_KEYS = 2000
/** Largest forward jump of a chain a receiver follows for one frame. */
export const MAX_CHAIN_JUMP = 2000
/** Most chains kept per sender (the current one and recent predecessors, for frames still in flight). */
export const MAX_CHAINS_PER_SENDER = 3
/** Most frames held per group whose chain key has not arrived yet. */
export const MAX_HELD_FRAMES = 256
/** A sender rotates its chain after this many messages (post-compromise recovery). */
export const ROTATE_AFTER_MESSAGES = 500
/** ... or after this long, in ms. */
export const ROTATE_AFTER_MS = 24 * 60 * 60_000
/** A member that did not acknowledge a message within this long gets it over the control channel (direct, else its mailboxes), in ms. */
export const CATCH_UP_AFTER_MS = 5_000
/** Receipts to one member are batched for this long, in ms. */
export const RECEIPT_BATCH_MS = 200
/** Most message ids in one receipt. */
export const MAX_RECEIPT_IDS = 128
/** Largest frame accepted from a group topic, in bytes. */
export const MAX_FRAME_BYTES = 4096
/** Frames accepted per peer per topic per minute before the validator rejects (a relay's flood bound). */
export const FRAMES_PER_PEER_PER_MINUTE = 600
/** Sizes plaintexts are padded to, in bytes. */
export const PAD_BUCKETS = [256, 512, 1024, 2048, 3200] as const
/** Prefix of group topics. */
export const GROUP_TOPIC_PREFIX = '/natter/group/1/'

export const OP_SIGNATURE_LABEL = 'natter-group-op-v1'
export const FRAME_SIGNATURE_LABEL = 'natter-group-frame-v1'
export const MESSAGE_KEY_INFO = 'natter-group-message-key-v1'
export const TOPIC_INFO = 'natter-group-topic-v1'
