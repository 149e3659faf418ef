/**
 * §2: transport, identify and the protocol table; a new connection usable at once.
 */
import { DM_PROTOCOL } from '../../dm/protocol.js'
import { MAILBOX_PROTOCOL } from '../../mailbox/protocol.js'
import { DHT_PROTOCOL } from '../../network/libp2p.js'
import type { Kit } from '../kit.js'

/** Protocols PROTOCOL.md §2 requires of every natter node. */
export const REQUIRED_PROTOCOLS = ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0', DHT_PROTOCOL, DM_PROTOCOL]
/** At least one of these gossipsub versions is required. */
export const MESHSUB_PROTOCOLS = ['/meshsub/1.2.0', '/meshsub/1.1.0']

/** Identify, the protocol table, and a brand-new connection. */
export async function transportChecks (kit: Kit): Promise<void> {
  const probe = await kit.light()
  let protocols: string[] = []
  const identified = await kit.check('§2', 'MUST', 'connects over TCP + Noise + yamux and answers identify', async () => {
    const targetId = kit.peer.peerId.toString()
    // identify runs by itself on every new connection; take its result rather than open a second identify stream
    const identified = new Promise<{ protocols: string[], agentVersion?: string }>((resolve) => {
      probe.libp2p.addEventListener('peer:identify', (evt) => {
        if (evt.detail.peerId.toString() === targetId) {
          resolve(evt.detail)
        }
      })
    })
    await probe.libp2p.dial(kit.target, { signal: AbortSignal.timeout(10_000) })
    const result = await Promise.race([identified, new Promise<undefined>(resolve => { setTimeout(() => { resolve(undefined) }, 10_000).unref?.() })])
    if (result == null) {
      return [false, 'no identify result within 10 s of connecting']
    }
    protocols = result.protocols
    return [true, `agent ${JSON.stringify(result.agentVersion ?? '')}, ${protocols.length} protocols`]
  })
  if (!identified) {
    for (const p of [...REQUIRED_PROTOCOLS, 'meshsub']) {
      kit.note('§2', 'MUST', `speaks ${p}`, 'skip', 'identify failed')
    }
    return
  }
  for (const p of REQUIRED_PROTOCOLS) {
    await kit.check('§2', 'MUST', `speaks ${p}`, async () => [protocols.includes(p), protocols.includes(p) ? 'listed by identify' : `not among ${protocols.join(' ')}`])
  }
  await kit.check('§2', 'MUST', 'speaks gossipsub /meshsub/1.1.0 or /meshsub/1.2.0', async () => {
    const found = MESHSUB_PROTOCOLS.filter(p => protocols.includes(p))
    return [found.length > 0, found.length > 0 ? `listed: ${found.join(', ')}` : `none of ${MESHSUB_PROTOCOLS.join(', ')} listed`]
  })
  await kit.check('§2', 'SHOULD', `serves mailboxes (${MAILBOX_PROTOCOL})`, async () =>
    [protocols.includes(MAILBOX_PROTOCOL), protocols.includes(MAILBOX_PROTOCOL) ? 'listed by identify' : 'not listed (a node MAY opt out; then §9 checks are skipped)'])
  const known = new Set([...REQUIRED_PROTOCOLS, ...MESHSUB_PROTOCOLS, MAILBOX_PROTOCOL, '/meshsub/1.0.0', '/floodsub/1.0.0'])
  const others = protocols.filter(p => !known.has(p))
  kit.note('§2', 'MAY', 'other protocols are allowed', 'skip', others.length === 0 ? 'none besides the table' : `also speaks ${others.join(' ')} (informational)`)

  await kit.check('§2', 'MUST', 'a brand-new connection carries pings and a DM stream at once', async () => {
    const fresh = await kit.light()
    await fresh.libp2p.dial(kit.target, { signal: AbortSignal.timeout(10_000) })
    // at once, while the target's own identify and DHT traffic on the new connection is in flight
    const [a, b] = await Promise.all([
      fresh.libp2p.services.ping.ping(kit.target, { signal: AbortSignal.timeout(10_000) }),
      fresh.libp2p.services.ping.ping(kit.target, { signal: AbortSignal.timeout(10_000) })
    ])
    const dm = await fresh.libp2p.dialProtocol(kit.target, DM_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
    await dm.close()
    return [true, `two concurrent pings (${a} ms, ${b} ms) and a ${DM_PROTOCOL} stream on a new connection`]
  })
}
