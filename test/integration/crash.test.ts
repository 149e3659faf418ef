import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it } from 'vitest'
import { loadOrCreateIdentity } from '../../src/keys/identity.js'
import { openStore } from '../../src/store/index.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { ChildProcess } from 'node:child_process'

const SENDER = fileURLToPath(new URL('../fixtures/sender.mjs', import.meta.url))
const TOTAL = 600

describe('crash safety', () => {
  const nodes = nodeFactory()
  const children: ChildProcess[] = []
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL')
    await nodes.cleanup()
  })

  function runSender (dataDir: string, recipient: string, address: string, onLine: (line: string) => void): ChildProcess {
    const child = spawn(process.execPath, [SENDER, dataDir, recipient, address, String(TOTAL)], { stdio: ['ignore', 'pipe', 'inherit'] })
    children.push(child)
    createInterface({ input: child.stdout! }).on('line', onLine)
    return child
  }

  it(`a sender killed with SIGKILL while sending ${TOTAL} messages delivers each exactly once after restart`, async () => {
    const b = await nodes.create()
    const aDir = await nodes.tempDir()
    const aPeer = peerIdFromPrivateKey(await loadOrCreateIdentity(aDir)).toString()
    await b.contacts.add('alice', aPeer)

    // first run: kill it hard in the middle of sending
    const queued: string[] = []
    const first = runSender(aDir, b.peerId, b.addresses[0]!, (line) => { if (line.startsWith('queued ')) queued.push(line.slice(7)) })
    await pWaitFor(() => queued.length >= 250, { timeout: 30_000 })
    first.kill('SIGKILL')
    await new Promise(resolve => first.once('exit', resolve))
    // the kill came in the middle of the work: while queueing or, now that queueing is fast (group commit),
    // while the queued messages were still being delivered
    const deliveredAtKill = b.messages.history(aPeer, { limit: 1000 }).length
    expect(queued.length < TOTAL || deliveredAtKill < TOTAL, `killed after all ${TOTAL} were queued and delivered`).toBe(true)

    // second run: same data dir; it resumes the outbox and sends the rest
    let drained = false
    const second = runSender(aDir, b.peerId, b.addresses[0]!, (line) => {
      if (line.startsWith('queued ')) queued.push(line.slice(7))
      if (line === 'drained') drained = true
    })
    await pWaitFor(() => drained, { timeout: 120_000 })
    second.kill('SIGTERM')
    await new Promise(resolve => second.once('exit', resolve))

    // the recipient has every message once, numbered 1..TOTAL without gaps
    const received = b.messages.history(aPeer, { limit: 1000 })
    const ids = received.map(m => m.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(received).toHaveLength(TOTAL)
    expect(received.map(m => m.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1))
    for (const id of queued) expect(ids).toContain(id)

    // the sender's history matches, every message delivered, no duplicates
    const store = openStore({ path: join(aDir, 'natter.db') })
    try {
      const sent = store.messages.history(b.peerId, { limit: 1000 })
      expect(sent).toHaveLength(TOTAL)
      expect(new Set(sent.map(m => m.id))).toEqual(new Set(ids))
      expect(sent.every(m => m.state === 'delivered')).toBe(true)
    } finally {
      store.close()
    }
  })
})
