/**
 * The library's options a host program may take from its user (a config
 * file, flags), as one zod schema: the daemon's `config.json` reuses it
 * field for field, so every option a daemon user needs is validated once,
 * here, with the same bounds the library applies. Options only code can
 * give (`dataDir`, `passphrase`, an injected libp2p or store) are not in it;
 * neither are the network addresses, which the host validates as multiaddrs.
 *
 * @example
 * ```ts
 * import { createNatter, NatterOptionsSchema } from 'natter'
 * const options = NatterOptionsSchema.parse(JSON.parse(text)) // throws a ZodError naming the bad field
 * const natter = await createNatter({ dataDir, ...options })
 * ```
 *
 * @module
 */
import { z } from 'zod'
import type { NatterInit } from './index.js'

const ms = (what: string): z.ZodNumber => z.number({ error: `not a number of milliseconds (${what})` }).int('not a whole number').positive('must be above 0')
const count = z.number({ error: 'not a number' }).int('not a whole number')

const Tier = z.strictObject({
  /** Sustained rate, per second. */
  rate: z.number({ error: 'not a number' }).positive('must be above 0'),
  /** How many may come at once. */
  burst: z.number({ error: 'not a number' }).positive('must be above 0')
})

const Tiers = z.strictObject({ contact: Tier.optional(), stranger: Tier.optional() })

/** Every user-settable option of {@link NatterInit}; all optional, unknown fields refused. */
export const NatterOptionsSchema = z.strictObject({
  /** Send read receipts when a conversation is marked read. @default false */
  readReceipts: z.boolean({ error: 'not true or false' }).optional(),
  /** Serve as a mailbox for offline peers (`false` opts out of holding others' envelopes). @default true */
  mailbox: z.boolean({ error: 'not true or false' }).optional(),
  /** Store durability: `"normal"` survives a process crash, `"full"` also a power cut (slower). @default "normal" */
  durability: z.enum(['normal', 'full'], { error: 'not "normal" or "full"' }).optional(),
  /** Proof-of-work bits a stranger's first message must carry (and this node spends on its own). @default 20 */
  powDifficulty: count.min(0, 'must not be negative').max(32, 'must be at most 32 (each bit doubles the work)').optional(),
  /** Where the node runs: `"internet"` (relays, AutoNAT, UPnP; only dialable addresses advertised) or `"local"` (one machine or LAN). @default "internet" */
  network: z.enum(['internet', 'local'], { error: 'not "internet" or "local"' }).optional(),
  /** Run a relay server for other peers (internet mode). @default true */
  relayServer: z.boolean({ error: 'not true or false' }).optional(),
  /** Ask the router for a port mapping with UPnP (internet mode). @default true */
  upnp: z.boolean({ error: 'not true or false' }).optional(),
  /** Addresses the DHT keeps: `"all"` (LANs, one machine) or `"public"` only. @default "public" on the internet, "all" in local mode */
  dhtAddresses: z.enum(['all', 'public'], { error: 'not "all" or "public"' }).optional(),
  /** Connection limit. @default 300 */
  maxConnections: count.min(1, 'must be at least 1').max(10_000, 'must be at most 10000').optional(),
  /** Lifetime of this node's presence records. @default 90000 */
  presenceTtlMs: ms('presence lifetime').min(5_000, 'must be at least 5000').max(3_600_000, 'must be at most 3600000').optional(),
  /** Time for one direct delivery try. @default 15000 */
  sendTimeoutMs: ms('delivery try').max(600_000, 'must be at most 600000').optional(),
  /** First retry delay of an undelivered message. @default 1000 */
  retryInitialMs: ms('first retry').optional(),
  /** Longest retry delay. @default 300000 */
  retryMaxMs: ms('longest retry').optional(),
  /** How long envelopes held for others are kept. @default 1209600000 (14 days) */
  mailboxTtlMs: ms('mailbox lifetime').optional(),
  /** How often this node fetches its own mailboxes. @default 60000 */
  mailboxFetchIntervalMs: ms('mailbox fetch period').min(1_000, 'must be at least 1000').optional(),
  /** Mailbox peers each offline message is deposited with. @default 3 */
  mailboxReplication: count.min(1, 'must be at least 1').max(20, 'must be at most 20').optional(),
  /** Quotas on what this node holds for others. */
  mailboxQuotas: z.strictObject({
    maxEnvelopeBytes: count.positive('must be above 0').optional(),
    maxBytesPerRecipient: count.positive('must be above 0').optional(),
    maxEnvelopesPerRecipient: count.positive('must be above 0').optional(),
    maxEnvelopesPerDepositor: count.positive('must be above 0').optional(),
    maxTotalBytes: count.positive('must be above 0').optional(),
    maxTtl: count.positive('must be above 0').optional()
  }).optional(),
  /** Per-peer rate limits by kind, each with a `contact` and a `stranger` tier of `{ rate, burst }`. */
  presenceVisibility: z.enum(['invisible', 'contacts', 'public'], { error: 'must be invisible, contacts or public' }).optional(),
  rateLimits: z.strictObject({ dm: Tiers.optional(), mailbox: Tiers.optional(), presence: Tiers.optional() }).optional()
})

/** What {@link NatterOptionsSchema} accepts: a subset of {@link NatterInit}. */
export type NatterOptions = z.infer<typeof NatterOptionsSchema>

// every option of the schema is an option of createNatter, with a compatible type (checked when compiling)
const _fitsNatterInit = (options: NatterOptions): Partial<NatterInit> => options
