/**
 * Friends behind NATs (issue 12), on a simulated internet in network
 * namespaces (see topology.ts): three public hosts, three homes behind NAT
 * routers that drop unsolicited inbound traffic (two port-preserving, one
 * symmetric), no link to the host. Real daemons (`ip netns exec … natter
 * daemon`) in internet mode, driven by the real CLI. Skipped, with the
 * reason, where namespaces cannot be made (not root, no `ip`/`nft`).
 *
 * The scenarios build on each other (one topology for the file, to keep it to
 * a few minutes on 2 cores) and run in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../e2e/helpers.js'
import { createTopology, netnsUnavailable } from './topology.js'
import type { Host, NetnsDaemon, Topology } from './topology.js'

const unavailable = await netnsUnavailable()
if (unavailable != null) {
  console.warn(`test/netns skipped: ${unavailable}`)
}

interface IdInfo {
  peerId: string
  addresses: string[]
  invite: string
  connections: number
  reachability: { state: string, direct: string[], relayed: string[] }
}

describe.skipIf(unavailable != null)('friends behind NATs (network namespaces)', { timeout: 120_000 }, () => {
  let t: Topology
  const hosts: Record<string, Host> = {}
  const daemons: Record<string, NetnsDaemon> = {}

  const id = async (d: NetnsDaemon): Promise<IdInfo> => {
    const r = await t.natter(d.home, ['id', '--json'])
    if (r.code !== 0) {
      throw new Error(`natter id in ${d.host.ns}: ${r.stderr}`)
    }
    return JSON.parse(r.stdout) as IdInfo
  }
  const addContact = async (d: NetnsDaemon, name: string, of: NetnsDaemon): Promise<void> => {
    const r = await t.natter(d.home, ['contacts', 'add', name, (await id(of)).invite])
    expect(r.code, r.stderr).toBe(0)
  }
  /** Sends and waits for "delivered"; returns the time it took and the CLI's result. */
  const send = async (from: NetnsDaemon, to: string, text: string): Promise<{ ms: number, code: number | null, out: string }> => {
    const start = performance.now()
    const r = await t.natter(from.home, ['send', to, text, '--json'])
    return { ms: performance.now() - start, code: r.code, out: r.stdout + r.stderr }
  }
  const received = async (d: NetnsDaemon, from: string, text: string): Promise<boolean> => {
    const r = await t.natter(d.home, ['history', from, '--json'])
    return r.code === 0 && r.stdout.includes(text)
  }
  const noPrivate = (addresses: string[]): void => {
    for (const a of addresses) {
      expect(a).not.toMatch(/\/ip4\/(127|10)\./)
    }
  }

  beforeAll(async () => {
    t = await createTopology()
    hosts.pub1 = await t.publicHost(1)
    hosts.pub2 = await t.publicHost(2)
    hosts.pub3 = await t.publicHost(3)
    hosts.h1 = await t.home(1, 'port-preserving')
    hosts.h2 = await t.home(2, 'port-preserving')
    hosts.h3 = await t.home(3, 'symmetric')
  }, 60_000)

  afterAll(async () => {
    if (process.env.NETNS_DEBUG != null) {
      const { writeFile } = await import('node:fs/promises')
      for (const [name, d] of Object.entries(daemons)) {
        await writeFile(`/tmp/netns-${name}.log`, d.stderr())
      }
    }
    await t?.destroy()
  }, 60_000)

  it('public ↔ public with no --announce: AutoNAT confirms the address, invites carry it and nothing private', async () => {
    daemons.pub1 = await t.daemon(hosts.pub1!)
    // a configured bootstrap list: the well-known node's address typed by hand
    const pub1Address = `/ip4/${hosts.pub1!.ip}/tcp/4001/p2p/${daemons.pub1.peerId}`
    daemons.pub2 = await t.daemon(hosts.pub2!, { args: ['--bootstrap', pub1Address] })
    daemons.pub3 = await t.daemon(hosts.pub3!, { args: ['--bootstrap', pub1Address] })
    const start = performance.now()
    await eventually(async () => (await id(daemons.pub1!)).reachability.state === 'public', 30_000, 'pub1 to confirm its public address')
    console.info(`netns: pub1 confirmed its public address ${Math.round(performance.now() - start)} ms after its peers started`)
    const info = await id(daemons.pub1)
    expect(info.addresses).toContain(`${pub1Address}`)
    noPrivate(info.addresses)
    await eventually(async () => (await id(daemons.pub2!)).reachability.state === 'public', 30_000, 'pub2 to confirm its public address')
    noPrivate((await id(daemons.pub2)).addresses)

    // pub3 reaches pub2 from its invite alone
    await addContact(daemons.pub3, 'pub2', daemons.pub2)
    const sent = await send(daemons.pub3, 'pub2', 'hello across the internet')
    expect(sent.code, sent.out).toBe(0)
    expect(sent.out).toContain('"delivered"')
    await eventually(async () => received(daemons.pub2!, daemons.pub3!.peerId, 'hello across the internet'), 10_000, 'pub2 to receive')
  })

  it('home ↔ public: the home node is reachable through a relay, its invite carries the relayed address', async () => {
    const pub1Invite = (await id(daemons.pub1!)).invite
    daemons.h1 = await t.daemon(hosts.h1!)
    const added = await t.natter(daemons.h1.home, ['contacts', 'add', 'pub1', pub1Invite])
    expect(added.code, added.stderr).toBe(0)
    await eventually(async () => (await id(daemons.h1!)).reachability.state === 'relayed', 30_000, 'h1 to hold a relay reservation')
    const info = await id(daemons.h1)
    noPrivate(info.addresses)
    expect(info.addresses.every(a => a.includes('/p2p-circuit/'))).toBe(true)

    await addContact(daemons.pub2!, 'h1', daemons.h1)
    const toHome = await send(daemons.pub2!, 'h1', 'to the home')
    expect(toHome.code, toHome.out).toBe(0)
    expect(toHome.out).toContain('"delivered"')
    await addContact(daemons.h1, 'pub2', daemons.pub2!)
    const fromHome = await send(daemons.h1, 'pub2', 'from the home')
    expect(fromHome.code, fromHome.out).toBe(0)
    expect(fromHome.out).toContain('"delivered"')
  })

  it('home ↔ home across a port-preserving and a symmetric NAT, by invites plus one public peer\'s invite', async () => {
    const pub1Invite = (await id(daemons.pub1!)).invite
    daemons.h2 = await t.daemon(hosts.h2!)
    daemons.h3 = await t.daemon(hosts.h3!)
    for (const d of [daemons.h2, daemons.h3]) {
      expect((await t.natter(d.home, ['contacts', 'add', 'pub1', pub1Invite])).code).toBe(0)
    }
    await eventually(async () => (await id(daemons.h2!)).reachability.state === 'relayed', 30_000, 'h2 to hold a relay reservation')
    await eventually(async () => (await id(daemons.h3!)).reachability.state === 'relayed', 30_000, 'h3 to hold a relay reservation')
    await addContact(daemons.h2, 'h3', daemons.h3)
    await addContact(daemons.h3, 'h2', daemons.h2)
    const first = await send(daemons.h2, 'h3', 'first message home to home')
    expect(first.code, first.out).toBe(0)
    expect(first.out).toContain('"delivered"')
    console.info(`netns: home→home first message delivered in ${Math.round(first.ms)} ms (CLI round trip included)`)
    const reply = await send(daemons.h3, 'h2', 'and back')
    expect(reply.code, reply.out).toBe(0)
    console.info(`netns: home→home reply delivered in ${Math.round(reply.ms)} ms`)
    await eventually(async () => received(daemons.h3!, daemons.h2!.peerId, 'first message home to home'), 10_000, 'h3 to receive')
  })

  it('a home\'s external IP changes mid-conversation: it reconnects and the conversation goes on', async () => {
    await t.changeWanIp(hosts.h1!, '11.0.0.21')
    const start = performance.now()
    // the old mappings are gone: the home notices, redials its relay, renews its reservation
    await eventually(async () => {
      const r = await send(daemons.pub2!, 'h1', 'after the move')
      return r.code === 0 && r.out.includes('"delivered"')
    }, 90_000, 'pub2 to reach h1 after its IP changed')
    console.info(`netns: h1 reachable again ${Math.round(performance.now() - start)} ms after its external IP changed`)
    const back = await send(daemons.h1!, 'pub2', 'still here')
    expect(back.code, back.out).toBe(0)
  })

  it('the relay restarts: the homes take a reservation again and keep chatting', async () => {
    const relay = daemons.pub1!
    await t.kill(relay)
    daemons.pub1 = await t.daemon(hosts.pub1!, { home: relay.home })
    const start = performance.now()
    await eventually(async () => {
      const r = await send(daemons.h2!, 'h3', 'after the relay restarted')
      return r.code === 0 && r.out.includes('"delivered"')
    }, 90_000, 'h2 to reach h3 after the relay restarted')
    console.info(`netns: home→home again ${Math.round(performance.now() - start)} ms after the relay restarted`)
    await eventually(async () => received(daemons.h3!, daemons.h2!.peerId, 'after the relay restarted'), 15_000, 'h3 to receive')
  })
})
