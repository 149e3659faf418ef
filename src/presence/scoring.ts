/**
 * Gossipsub peer-scoring tuned for the presence topic: a low-rate topic
 * (one record per peer every ~30 s), so honest quiet peers must not be
 * penalised for delivering little, while peers forwarding invalid records
 * (forged, expired, oversized, older than known) lose standing quickly and
 * are graylisted after a handful.
 */
import { createPeerScoreParams, createTopicScoreParams } from '@libp2p/gossipsub/score'
import { PRESENCE_TOPIC } from './record.js'
import { SHARD_TOPICS } from './sealed.js'
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

/** Peer-score parameters for natter's gossipsub. */
export function presenceScoreParams (): PeerScoreParams {
  return createPeerScoreParams({
    // many honest peers share an IP (NAT, LAN, loopback): do not penalise that
    IPColocationFactorWeight: 0,
    topics: {
      [PRESENCE_TOPIC]: createTopicScoreParams({
        topicWeight: 1,
        // a small reward for staying in the mesh, capped at +6
        timeInMeshWeight: 0.01,
        timeInMeshQuantum: 1000,
        timeInMeshCap: 600,
        // a reward for being first to deliver valid records, capped at +10
        firstMessageDeliveriesWeight: 1,
        firstMessageDeliveriesDecay: 0.99,
        firstMessageDeliveriesCap: 10,
        // presence is too sparse for delivery-rate expectations: disabled
        meshMessageDeliveriesWeight: 0,
        meshFailurePenaltyWeight: 0,
        // each invalid record costs -10 (squared counter), decaying by 10% per second
        invalidMessageDeliveriesWeight: -10,
        invalidMessageDeliveriesDecay: 0.9
      })
    }
  })
}

/**
 * Peer-score parameters of presence v2's gossipsub: every shard topic scored
 * like the v1 topic — quiet peers are not penalised, and each record a peer
 * forwards that fails validation (malformed, wrong epoch, undecryptable under
 * a contact's tag, past the per-tag rate) costs it standing (PROTOCOL.md §3.6.4).
 */
export function presenceV2ScoreParams (): PeerScoreParams {
  const v1 = presenceScoreParams()
  const topic = v1.topics[PRESENCE_TOPIC] as TopicScoreParams
  return createPeerScoreParams({
    IPColocationFactorWeight: 0,
    topics: Object.fromEntries(SHARD_TOPICS.map(t => [t, topic]))
  })
}

/** Score thresholds: stop gossiping with a peer at -50, ignore its publishes at -100, graylist at -200. */
export const PRESENCE_SCORE_THRESHOLDS: Partial<PeerScoreThresholds> = {
  gossipThreshold: -50,
  publishThreshold: -100,
  graylistThreshold: -200,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 5
}

/** Largest gossipsub RPC accepted from a peer, in bytes (presence records are at most 1 KiB each). */
export const MAX_GOSSIP_RPC_BYTES = 256 * 1024
