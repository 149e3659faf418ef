import { describe, expect, it } from 'vitest'
import { createMailboxTriggers, PRESENCE_FETCH_MIN_INTERVAL_MS, PRESENCE_TRIGGER_MAX_PEERS } from '../../src/mailbox/triggers.js'
import { recordingLogger } from '../helpers/logger.js'

function setup (contacts: string[]) {
  let t = 0
  const fetches: number[] = []
  const triggers = createMailboxTriggers({
    fetch: async () => { fetches.push(t); return 0 },
    isContact: (p) => contacts.includes(p) || p.startsWith('contact-'),
    log: recordingLogger().forComponent('test'),
    now: () => t
  })
  return { triggers, fetches, advance: (ms: number) => { t += ms } }
}

describe('mailbox check triggers (issue 12)', () => {
  it('fetches when a contact comes online, not when a stranger does, not again while it stays online', async () => {
    const { triggers, fetches, advance } = setup(['alice'])
    triggers.onPresence({ peerId: 'mallory', status: 'online' })
    expect(fetches).toHaveLength(0)
    triggers.onPresence({ peerId: 'alice', status: 'online' })
    expect(fetches).toHaveLength(1)
    await new Promise(resolve => setImmediate(resolve))
    advance(PRESENCE_FETCH_MIN_INTERVAL_MS * 2)
    triggers.onPresence({ peerId: 'alice', status: 'away' })
    expect(fetches).toHaveLength(1)
    triggers.onPresence({ peerId: 'alice', status: 'offline' })
    triggers.onPresence({ peerId: 'alice', status: 'online' })
    expect(fetches).toHaveLength(2)
  })

  it('several contacts at once start one fetch', async () => {
    const { triggers, fetches } = setup(['a', 'b', 'c'])
    for (const p of ['a', 'b', 'c']) {
      triggers.onPresence({ peerId: p, status: 'online' })
    }
    expect(fetches).toHaveLength(1)
  })

  it('remembers a bounded number of peers', async () => {
    const { triggers, fetches, advance } = setup([])
    triggers.onPresence({ peerId: 'contact-first', status: 'online' })
    for (let i = 0; i < PRESENCE_TRIGGER_MAX_PEERS; i++) {
      triggers.onPresence({ peerId: `contact-${i}`, status: 'online' })
    }
    await new Promise(resolve => setImmediate(resolve))
    advance(PRESENCE_FETCH_MIN_INTERVAL_MS * 2)
    const before = fetches.length
    // the first one was forgotten: seen online again, it counts as coming online
    triggers.onPresence({ peerId: 'contact-first', status: 'online' })
    expect(fetches.length).toBe(before + 1)
  })
})
