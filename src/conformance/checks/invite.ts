/**
 * §7: invites. Given the target's invite (`--invite`), the kit decodes it
 * from the spec, checks that it names the target, and joins through it.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { INVITE_PREFIX } from '../../invite.js'
import { Invite } from '../../pb/invite.js'
import type { Kit } from '../kit.js'

/** The invite given with `--invite`. */
export async function inviteChecks (kit: Kit): Promise<void> {
  if (kit.invite == null) {
    kit.note('§7', 'MUST', 'an invite names the node and addresses it is reachable on', 'skip', 'no invite given (--invite "natter:…")')
    return
  }
  let decoded: Invite | undefined
  await kit.check('§7', 'MUST', 'the invite is "natter:" + base64url (no padding) of an Invite naming the target', async () => {
    const text = kit.invite!.trim()
    if (!text.startsWith(INVITE_PREFIX)) {
      return [false, 'does not start with "natter:"']
    }
    const body = text.slice(INVITE_PREFIX.length)
    if (!/^[A-Za-z0-9_-]*$/.test(body)) {
      return [false, 'not base64url without padding']
    }
    decoded = Invite.decode(uint8ArrayFromString(body, 'base64url'))
    const names = uint8ArrayEquals(decoded.peerId, kit.peer.bytes)
    return [names && decoded.addresses.length <= 32, `${decoded.addresses.length} addresses, name ${JSON.stringify(decoded.name)}, ${names ? 'the target\'s peer id' : 'another peer id'}`]
  })
  if (decoded == null) {
    return
  }
  const addresses = decoded.addresses
  await kit.check('§7', 'MUST', 'a fresh node reaches the inviter through the invite\'s addresses', async () => {
    const probe = await kit.light()
    const errors: string[] = []
    for (const bytes of addresses) {
      let ma = multiaddr(bytes)
      if (ma.getComponents().findLast(c => c.name === 'p2p') == null) {
        ma = ma.encapsulate(`/p2p/${kit.peer.peerId.toString()}`)
      }
      try {
        const connection = await probe.libp2p.dial(ma, { signal: AbortSignal.timeout(5000) })
        return [connection.remotePeer.equals(kit.peer.peerId), `dialled ${ma.toString()}: Noise authenticated ${connection.remotePeer.toString()}`]
      } catch (err) {
        errors.push(`${ma.toString()}: ${(err as Error).message}`)
      }
    }
    return [false, `no address answered: ${errors.join('; ')}`]
  })
}
