/**
 * Counts what a libp2p node sends and receives, by protocol, for the idle-cost
 * figures of `npm run bench:presence` (issue 15): streams opened per protocol
 * and direction (ping, identify push, DHT RPCs, presence direct updates, …),
 * gossipsub RPCs per router with their parts (messages, IHAVE, IWANT, GRAFT,
 * PRUNE, IDONTWANT, subscriptions), and yamux keep-alive pings.
 *
 * Bench-only instrumentation: it sets libp2p's `metrics` component after the
 * node is built (so gossipsub does not switch its own metrics on) and wraps
 * two gossipsub methods on the instance. Nothing on the wire changes.
 *
 * @module
 */
import type { NatterLibp2p } from '../src/network/libp2p.js'

/** Counts by name (e.g. `stream out /ipfs/ping/1.0.0`, `pubsub in IHAVE`). */
export type WireCounts = Record<string, number>

interface RpcLike {
  subscriptions?: unknown[]
  messages?: unknown[]
  control?: { ihave?: unknown[], iwant?: unknown[], graft?: unknown[], prune?: unknown[], idontwant?: unknown[] }
}

/** Installs the counters on `node` (before it starts); returns a reader and a reset. */
export function countWire (node: NatterLibp2p): { read(): WireCounts, reset(): void } {
  let counts: WireCounts = {}
  const add = (k: string, n = 1): void => { if (n > 0) counts[k] = (counts[k] ?? 0) + n }
  const components = (node as unknown as { components: Record<string, unknown> }).components
  // every other metrics call (registerMetricGroup, createTrace, …) gets a no-op that answers anything
  const noop: unknown = new Proxy(function () {}, { get: (_t, prop) => prop === 'then' ? undefined : noop, apply: () => noop })
  const trackProtocolStream = (stream: { protocol?: string, direction: string }): void => {
    add(`stream ${stream.direction === 'inbound' ? 'in' : 'out'} ${stream.protocol ?? '?'}`)
  }
  components.metrics = new Proxy({}, {
    get: (_t, prop) => prop === 'trackProtocolStream' ? trackProtocolStream : prop === 'then' ? undefined : noop
  })
  for (const [name, ps] of [['pubsub', node.services.pubsub], ['presence', node.services.presence]] as const) {
    const g = ps as unknown as { sendRpc(id: string, rpc: RpcLike): boolean, handleReceivedRpc(from: unknown, rpc: RpcLike): Promise<void> }
    const parts = (dir: string, rpc: RpcLike): void => {
      add(`${name} ${dir} RPC`)
      add(`${name} ${dir} message`, rpc.messages?.length ?? 0)
      add(`${name} ${dir} subscription`, rpc.subscriptions?.length ?? 0)
      add(`${name} ${dir} IHAVE`, rpc.control?.ihave?.length ?? 0)
      add(`${name} ${dir} IWANT`, rpc.control?.iwant?.length ?? 0)
      add(`${name} ${dir} GRAFT`, rpc.control?.graft?.length ?? 0)
      add(`${name} ${dir} PRUNE`, rpc.control?.prune?.length ?? 0)
      add(`${name} ${dir} IDONTWANT`, rpc.control?.idontwant?.length ?? 0)
    }
    const send = g.sendRpc.bind(g)
    g.sendRpc = (id, rpc) => { const ok = send(id, rpc); if (ok) parts('out', rpc); return ok }
    const recv = g.handleReceivedRpc.bind(g)
    g.handleReceivedRpc = async (from, rpc) => { parts('in', rpc); return recv(from, rpc) }
  }
  // yamux keep-alive: a PING frame per connection per interval, no stream; counted from the muxer's ping()
  node.addEventListener('connection:open', (evt) => { add(`connection opened ${evt.detail.direction === 'inbound' ? 'in' : 'out'}`) })
  node.addEventListener('connection:close', () => { add('connection closed') })
  node.addEventListener('connection:open', (evt) => {
    const muxer = (evt.detail as unknown as { muxer?: { ping?(o?: unknown): Promise<number> } }).muxer
    if (muxer?.ping == null) return
    const ping = muxer.ping.bind(muxer)
    muxer.ping = async (o) => { add('yamux out keep-alive PING'); return ping(o) }
  })
  return { read: () => ({ ...counts }), reset: () => { counts = {} } }
}

/** Sums counts. */
export function sumCounts (all: WireCounts[]): WireCounts {
  const out: WireCounts = {}
  for (const c of all) for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v
  return out
}
