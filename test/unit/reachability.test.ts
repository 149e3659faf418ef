import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { addressKeys } from '../../src/network/connection-limits.js'
import { advertisedAddresses, isDialableFromInternet, mayDial, onOwnSubnet, reachabilityOf, withRelayListen } from '../../src/network/reachability.js'
import type { NetworkInterfaceInfo } from 'node:os'

const RELAY = '12D3KooWCtqhEME7Mpjeeb2EFucmvSMeiggKuZSbQzkJTtsPhbpD'
const SELF = '12D3KooWR7oTP1DNJrwoKr2hFJGAE8Sj2pSzJ6Abhh3dqto3FKcv'
const m = (s: string) => multiaddr(s)

const loopback = m('/ip4/127.0.0.1/tcp/4001')
const lan = m('/ip4/192.168.1.20/tcp/4001')
const publicAddr = m('/ip4/11.0.0.1/tcp/4001')
const relayed = m(`/ip4/11.0.0.2/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${SELF}`)
const relayedViaLan = m(`/ip4/10.0.0.2/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${SELF}`)

describe('advertised addresses (issue 12)', () => {
  it('on the internet: no loopback, no LAN, no relay on a LAN; relayed through a public relay kept', () => {
    const shown = advertisedAddresses([loopback, lan, relayed, relayedViaLan, m('/ip4/169.254.1.1/tcp/1')], 'internet').map(String)
    expect(shown).toEqual([relayed.toString()])
  })

  it('a confirmed public address is advertised alone', () => {
    expect(advertisedAddresses([loopback, publicAddr, relayed], 'internet').map(String)).toEqual([publicAddr.toString()])
  })

  it('in local mode everything is advertised', () => {
    expect(advertisedAddresses([loopback, lan], 'local')).toHaveLength(2)
  })

  it('reachability says public, relayed, none or local', () => {
    expect(reachabilityOf([loopback, publicAddr], 'internet').state).toBe('public')
    expect(reachabilityOf([loopback, relayed], 'internet').state).toBe('relayed')
    expect(reachabilityOf([loopback, lan], 'internet').state).toBe('none')
    expect(reachabilityOf([loopback], 'local').state).toBe('local')
  })

  it('dialable from the internet: judged by the relay for circuit addresses', () => {
    expect(isDialableFromInternet(relayed)).toBe(true)
    expect(isDialableFromInternet(relayedViaLan)).toBe(false)
    expect(isDialableFromInternet(m('/ip6/::1/tcp/1'))).toBe(false)
    expect(isDialableFromInternet(m('/ip6/fe80::1/tcp/1'))).toBe(false)
  })
})

describe('what a node dials (issue 12)', () => {
  const ifaces: NodeJS.Dict<NetworkInterfaceInfo[]> = {
    eth0: [{ address: '192.168.1.7', netmask: '255.255.255.0', family: 'IPv4', internal: false, mac: '', cidr: '192.168.1.7/24' }],
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', internal: true, mac: '', cidr: '127.0.0.1/8' }]
  }

  it('never a friend\'s private address on the internet', () => {
    expect(mayDial(lan, 'internet', false)).toBe(false)
    expect(mayDial(loopback, 'internet', false)).toBe(false)
    expect(mayDial(publicAddr, 'internet', false)).toBe(true)
    expect(mayDial(relayed, 'internet', false)).toBe(true)
    expect(mayDial(lan, 'local', false)).toBe(true)
  })

  it('with mDNS, only addresses on one of this machine\'s own subnets', () => {
    expect(onOwnSubnet(lan, ifaces)).toBe(true)
    expect(onOwnSubnet(m('/ip4/192.168.2.20/tcp/1'), ifaces)).toBe(false)
    expect(onOwnSubnet(m('/ip4/127.0.0.2/tcp/1'), ifaces)).toBe(false)
  })

  it('listens for a relay reservation on the internet only', () => {
    expect(withRelayListen(['/ip4/0.0.0.0/tcp/0'], 'internet')).toEqual(['/ip4/0.0.0.0/tcp/0', '/p2p-circuit'])
    expect(withRelayListen(['/ip4/0.0.0.0/tcp/0'], 'local')).toEqual(['/ip4/0.0.0.0/tcp/0'])
  })

  it('relayed connections do not count against their relay\'s IP', () => {
    expect(addressKeys(relayed, true)).toBeUndefined()
    expect(addressKeys(publicAddr, true)).toEqual({ ip: '11.0.0.1', subnet: '11.0.0.0/24' })
  })
})
