/**
 * `npm run bench:nat` (root, Linux, `ip` and `nft`): figures of issue 12 from
 * the namespace topology of test/netns (three public hosts, homes behind a
 * port-preserving and a symmetric NAT), with real daemons driven through
 * their control API:
 * - time for a public node to confirm its address (AutoNAT v2, no --announce);
 * - home→home first message: arrival at the recipient and "delivered" at the sender;
 * - round trip relayed (home↔home) vs direct (public↔public), libp2p ping;
 * - DHT lookup (connect by peer id) from a fresh public node, without homes and with them.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { createTopology, netnsUnavailable } from '../test/netns/topology.js'
import type { NetnsDaemon, Topology } from '../test/netns/topology.js'

/** One call to a daemon's control API. */
async function api<T> (d: NetnsDaemon, method: string, path: string, body?: unknown): Promise<{ status: number, body: T }> {
  const token = (await readFile(join(d.home, 'api.token'), 'utf8')).trim()
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(d.home, 'api.sock'), method, path, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, res => {
      let text = ''
      res.setEncoding('utf8').on('data', (c: string) => { text += c }).on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: (text === '' ? {} : JSON.parse(text)) as T })
      })
    })
    req.on('error', reject)
    req.end(body == null ? undefined : JSON.stringify(body))
  })
}

interface Id { reachability: { state: string }, invite: string }

/** Polls `check` every 25 ms until it holds; resolves with the ms waited. Gives up after `limitMs`. */
async function until (check: () => Promise<boolean>, limitMs: number, what: string): Promise<number> {
  const start = performance.now()
  for (;;) {
    if (await check()) {
      return performance.now() - start
    }
    if (performance.now() - start > limitMs) {
      throw new Error(`timed out after ${limitMs} ms waiting for ${what}`)
    }
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

const state = async (d: NetnsDaemon): Promise<string> => (await api<Id>(d, 'GET', '/v1/id')).body.reachability.state
const invite = async (d: NetnsDaemon): Promise<string> => (await api<Id>(d, 'GET', '/v1/id')).body.invite
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const round = (x: number): number => Math.round(x * 10) / 10

async function rtts (from: NetnsDaemon, to: string, n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const r = await api<{ rttMs: number }>(from, 'POST', '/v1/ping', { peer: to })
    if (r.status !== 200) {
      throw new Error(`ping failed: ${JSON.stringify(r.body)}`)
    }
    out.push(r.body.rttMs)
  }
  return out
}

async function main (): Promise<void> {
  const why = await netnsUnavailable()
  if (why != null) {
    process.stderr.write(`bench:nat needs network namespaces: ${why}\n`)
    process.exit(2)
  }
  const t: Topology = await createTopology()
  const figures: Record<string, unknown> = {}
  try {
    const [p1, p2, p3, h2host, h3host] = [await t.publicHost(1), await t.publicHost(2), await t.publicHost(3), await t.home(2, 'port-preserving'), await t.home(3, 'symmetric')]
    const pub1 = await t.daemon(p1)
    const boot = `/ip4/${p1.ip}/tcp/4001/p2p/${pub1.peerId}`
    const pub2 = await t.daemon(p2, { args: ['--bootstrap', boot] })
    figures.confirmPublicAddressMs = round(await until(async () => await state(pub1) === 'public' && await state(pub2) === 'public', 60_000, 'public addresses'))

    // DHT lookup from a fresh public node, no homes yet
    const lookup = async (): Promise<number> => {
      const fresh = await t.daemon(p3, { args: ['--bootstrap', boot] })
      await until(async () => await state(fresh) === 'public', 60_000, 'the fresh node to confirm')
      const start = performance.now()
      const r = await api(fresh, 'POST', '/v1/connect', { address: pub2.peerId })
      const ms = performance.now() - start
      await t.kill(fresh)
      if (r.status !== 200) {
        throw new Error(`lookup failed: ${JSON.stringify(r.body)}`)
      }
      return ms
    }
    figures.dhtLookupWithoutHomesMs = round(await lookup())

    const h2 = await t.daemon(h2host)
    const h3 = await t.daemon(h3host)
    const pub1Invite = await invite(pub1)
    for (const h of [h2, h3]) {
      await api(h, 'POST', '/v1/contacts', { name: 'pub1', peer: pub1Invite })
    }
    figures.homeRelayReservationMs = round(await until(async () => await state(h2) === 'relayed' && await state(h3) === 'relayed', 60_000, 'relay reservations'))
    await api(h2, 'POST', '/v1/contacts', { name: 'h3', peer: await invite(h3) })
    await api(h3, 'POST', '/v1/contacts', { name: 'h2', peer: await invite(h2) })
    figures.dhtLookupWithHomesMs = round(await lookup())

    // home → home, first message
    const text = `first message ${Date.now()}`
    const start = performance.now()
    let arrivedMs: number | undefined
    const arrival = until(async () => {
      const r = await api<{ messages: Array<{ text: string }> }>(h3, 'GET', `/v1/history?peer=${h2.peerId}`)
      return r.body.messages?.some(m => m.text === text) === true
    }, 120_000, 'arrival').then(() => { arrivedMs = performance.now() - start })
    const sent = await api<{ message: { state: string } }>(h2, 'POST', '/v1/send', { to: 'h3', text, wait: 'delivered' })
    figures.homeToHomeFirstDeliveredMs = round(performance.now() - start)
    figures.homeToHomeFirstState = sent.body.message?.state ?? sent.body
    await arrival
    figures.homeToHomeFirstArrivalMs = round(arrivedMs!)
    const second = performance.now()
    await api(h2, 'POST', '/v1/send', { to: 'h3', text: 'second', wait: 'delivered' })
    figures.homeToHomeNextDeliveredMs = round(performance.now() - second)

    figures.rttRelayedMedianMs = round(median(await rtts(h2, h3.peerId, 10)))
    figures.rttDirectMedianMs = round(median(await rtts(pub1, pub2.peerId, 10)))
  } finally {
    await t.destroy()
  }
  process.stdout.write(JSON.stringify(figures, null, 2) + '\n')
}

await main()
