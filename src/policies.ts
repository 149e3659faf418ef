/**
 * What natter's own records ask of the network layer, handed down to it (the
 * network layer imports no session or presence code): the DHT validates and
 * selects prekey records (PROTOCOL.md §6.3), and gossipsub scores peers for
 * the presence topic (§3).
 *
 * @module
 */
import { MAX_GOSSIP_RPC_BYTES, PRESENCE_SCORE_THRESHOLDS, presenceScoreParams } from './presence/scoring.js'
import { PREKEY_NAMESPACE, selectPrekeyRecord, validatePrekeyRecord } from './sessions/bundle-record.js'
import type { ServicePolicies } from './network/libp2p.js'

/**
 * The DHT validators and selectors and the gossipsub scoring natter runs
 * with. Pass them to `createNetwork` or `natterServices` (an embedder
 * building its own libp2p node needs them too).
 */
export function natterServicePolicies (): Required<ServicePolicies> {
  return {
    // prekey bundles: only valid, signed records are stored or returned; the newest wins
    dhtValidators: { [PREKEY_NAMESPACE]: validatePrekeyRecord },
    dhtSelectors: { [PREKEY_NAMESPACE]: selectPrekeyRecord },
    scoreParams: presenceScoreParams(),
    scoreThresholds: PRESENCE_SCORE_THRESHOLDS,
    maxInboundDataLength: MAX_GOSSIP_RPC_BYTES
  }
}
