/**
 * Issue 9: a local `/v1/events` client that stops reading must not grow the
 * daemon's memory. A real daemon (small `eventBufferBytes` in config.json), a
 * client that never reads, and presence events from a stock libp2p attacker.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { eventually, harness, subscribe } from './helpers.js'
import { forgePresence, stockAttacker } from '../helpers/stock-attacker.js'
import type { IncomingMessage } from 'node:http'
import type { StockAttacker } from '../helpers/stock-attacker.js'

describe('event stream bounds', () => {
  const h = harness()
  let attacker: StockAttacker | undefined
  afterEach(async () => {
    await attacker?.stop()
    attacker = undefined
    await h.cleanup()
  })

  it('a client that stops reading is dropped with an `overflow` line; the daemon and other clients carry on', async () => {
    const home = await mkdtemp(join(tmpdir(), 'natter-e2e-events-'))
    await writeFile(join(home, 'config.json'), JSON.stringify({ eventBufferBytes: 4096 }), { mode: 0o600 })
    const d = await h.startDaemon({ home })
    const token = (await readFile(join(home, 'api.token'), 'utf8')).trim()

    // the slow client: takes the response, reads nothing
    const slow = await new Promise<IncomingMessage>((resolve, reject) => {
      request({ socketPath: join(home, 'api.sock'), path: '/v1/events', headers: { authorization: `Bearer ${token}` } }, resolve)
        .on('error', reject).end()
    })
    slow.pause()
    slow.on('error', () => {}) // reset when dropped: expected
    const reader = await subscribe<{ type: string }>(d)

    // presence records from fresh keys, one event each, published one after the other as the
    // reading client sees them (a burst would overflow the attacker's own gossip queue), until the
    // daemon drops the slow client
    attacker = await stockAttacker()
    await attacker.join(d.info.addresses[0]!, d.info.peerId)
    const dropped = (): boolean => d.stderr().includes('dropped an event stream client')
    const seen = (peerId: string): boolean => reader.events.some(e => e.type === 'presence' && (e as { presence?: { peerId: string } }).presence?.peerId === peerId)
    const publishOne = async (note = ''): Promise<void> => {
      const key = await generateKeyPair('Ed25519')
      await attacker!.publish(await forgePresence(key, { note }))
      const id = peerIdFromPrivateKey(key).toString()
      await eventually(() => seen(id), 15_000, 'the reading client to see the record')
    }
    for (let i = 0; i < 5000 && !dropped(); i++) {
      await publishOne('x'.repeat(140))
    }
    expect(dropped()).toBe(true)

    // the dropped client, reading at last, finds the reason as its last line, then the end
    const lines: string[] = []
    createInterface({ input: slow }).on('line', line => { lines.push(line) })
    slow.resume()
    await new Promise(resolve => { slow.once('end', resolve); slow.once('close', resolve) })
    const last = JSON.parse(lines.at(-1)!) as { type: string, reason?: string }
    expect(last.type).toBe('overflow')
    expect(last.reason).toMatch(/read too slowly/)

    // the other client was not affected: it still gets new events; the daemon still serves
    await publishOne()
    expect(reader.events.some(e => e.type === 'overflow')).toBe(false)
    reader.res.on('error', () => {})
    reader.res.destroy()
    expect(d.proc.exitCode).toBeNull()
    expect((await h.json<{ peerId: string }>(['id'], { home })).peerId).toBe(d.info.peerId)
  }, 120_000)
})
