/**
 * Which address and subnet a connection counts against (connection-limits.ts).
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { addressKeys } from '../../src/network/connection-limits.js'

describe('connection limit address keys', () => {
  it('IPv4: the address and its /24; IPv6: its /64 and /48; IPv4-mapped IPv6 as IPv4', () => {
    expect(addressKeys(multiaddr('/ip4/11.2.3.4/tcp/1'), false)).toEqual({ ip: '11.2.3.4', subnet: '11.2.3.0/24' })
    expect(addressKeys(multiaddr('/ip6/2a00:1450:1:2:3::4/tcp/1'), false)).toEqual({ ip: '2a00:1450:1:2::/64', subnet: '2a00:1450:1::/48' })
    expect(addressKeys(multiaddr('/ip6/2a00:1450::1/tcp/1'), false)).toEqual({ ip: '2a00:1450:0:0::/64', subnet: '2a00:1450:0::/48' })
    expect(addressKeys(multiaddr('/ip6/::ffff:11.2.3.4/tcp/1'), false)).toEqual({ ip: '11.2.3.4', subnet: '11.2.3.0/24' })
  })

  it('loopback and private addresses are exempt unless limitPrivate', () => {
    expect(addressKeys(multiaddr('/ip4/127.0.0.1/tcp/1'), false)).toBeUndefined()
    expect(addressKeys(multiaddr('/ip4/192.168.1.5/tcp/1'), false)).toBeUndefined()
    expect(addressKeys(multiaddr('/ip4/127.0.0.1/tcp/1'), true)).toEqual({ ip: '127.0.0.1', subnet: '127.0.0.0/24' })
  })
})
