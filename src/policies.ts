/**
 * What natter's own records ask of the network layer, handed down to it (the
 * network layer imports no session or presence code): the DHT validates and
 * selects prekey records (PROTOCOL.md §6.3), and gossipsub scores peers for
 * the presence topic (§3).
 *
 * @module
 */
import { MAX_GOSSIP_RPC_BYTES, PRESENCE_SCORE_THRESHOLDS, presenceScoreParams, presenceV2ScoreParams } from './presence/scoring.js'
import { PRESENCE_MESH_PROTOCOL } from './presence/constants.js'
import { PREKEY_NAMESPACE, prekeyRecordPublishedAt, selectPrekeyRecord, validatePrekeyRecord } from './sessions/bundle-record.js'
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
    // and an older one never replaces a stored newer one (no rollback by a PUT)
    dhtRecordAge: { [PREKEY_NAMESPACE]: prekeyRecordPublishedAt },
    scoreParams: presenceScoreParams(),
    scoreThresholds: PRESENCE_SCORE_THRESHOLDS,
    maxInboundDataLength: MAX_GOSSIP_RPC_BYTES,
    // presence v2 (PROTOCOL.md §3.6): its own unsigned gossipsub, scored per shard topic
    presenceScoreParams: presenceV2ScoreParams(),
    presenceMeshProtocol: PRESENCE_MESH_PROTOCOL
  }
}
