/**
 * Node operations: identity and invite, connected peers, ping, connect, stop.
 *
 * @module
 */
import { z } from 'zod'
import { operation } from './operation.js'
import { NamedPeerSchema, PeerField, PresenceViewSchema, StorageViewSchema } from './views.js'

/** `GET /v1/id`: this node. */
export const id = operation({
  method: 'GET',
  path: '/v1/id',
  summary: 'this node: peer id, addresses, invite, presence',
  reply: z.strictObject({
    peerId: z.string(),
    /** Multiaddrs ending in `/p2p/<peerId>`. */
    addresses: z.array(z.string()),
    /** An invite another user can paste into `natter contacts add`. */
    invite: z.string(),
    presence: PresenceViewSchema,
    /** The daemon's pid and home. */
    pid: z.number(),
    home: z.string(),
    /** Peers connected now. */
    connections: z.number(),
    /** Whether the store takes writes; `read-only` while its disk is full or failing (messages are refused "try later"). */
    storage: StorageViewSchema,
    /**
     * How others reach this node: `public` (a confirmed public address), `relayed` (only through a relay),
     * `none` (nobody can: no confirmed address, no relay yet), or `local` (local mode: this machine / LAN).
     */
    reachability: z.strictObject({
      network: z.enum(['internet', 'local']),
      state: z.enum(['public', 'relayed', 'local', 'none']),
      direct: z.array(z.string()),
      relayed: z.array(z.string())
    })
  })
})

/** `GET /v1/resolve?peer=`: a contact name or peer id to a peer id (and name). */
export const resolve = operation({
  method: 'GET',
  path: '/v1/resolve',
  summary: 'contact name or peer id → peer id (and name)',
  query: z.strictObject({ peer: PeerField }),
  reply: NamedPeerSchema,
  errors: ['ContactNotFoundError', 'InvalidPeerIdError']
})

/** `GET /v1/peers`: peers connected now. */
export const peers = operation({
  method: 'GET',
  path: '/v1/peers',
  summary: 'peers connected now',
  reply: z.strictObject({ peers: z.array(NamedPeerSchema) })
})

/** `POST /v1/ping`: round-trip time to a peer, connecting first if needed. */
export const ping = operation({
  method: 'POST',
  path: '/v1/ping',
  summary: 'round-trip time to a peer',
  body: z.strictObject({ peer: PeerField }),
  reply: z.strictObject({
    peerId: z.string(),
    /** Round-trip time, ms. */
    rttMs: z.number()
  }),
  errors: ['ContactNotFoundError', 'InvalidPeerIdError', 'PeerNotFoundError', 'PeerUnreachableError', 'NoPeersError', 'TimeoutError', 'AbortError']
})

/** `POST /v1/connect`: dial a multiaddr or peer. */
export const connect = operation({
  method: 'POST',
  path: '/v1/connect',
  summary: 'dial a multiaddr or peer',
  body: z.strictObject({
    address: z.string({ error: 'a multiaddr ending in /p2p/<peerId>, or a peer id, is required' }).min(1, 'must not be empty'),
    bootstrap: z.boolean({ error: 'must be true or false' }).optional()
  }),
  reply: z.strictObject({ connected: z.boolean() }),
  errors: ['ContactNotFoundError', 'InvalidPeerIdError', 'PeerNotFoundError', 'PeerUnreachableError', 'NoPeersError', 'TimeoutError', 'AbortError']
})

/** `POST /v1/stop`: shut the daemon down (after the reply). */
export const stop = operation({
  method: 'POST',
  path: '/v1/stop',
  summary: 'shut the daemon down',
  reply: z.strictObject({
    /** The daemon's pid; it exits shortly after replying. */
    pid: z.number()
  }),
  status: [202]
})
