/**
 * One peer of the soak test, in its own process so the soak can SIGKILL it.
 *
 *   node dist/bench/soak-peer.js <dataDir> <bootstrap> <role: send|receive> <peer id> <total>
 *
 * `send` sends "soak <n>" to the peer until its store holds <total> outgoing
 * messages (resuming after a restart), 8 in flight at a time. `receive` adds
 * the sender as a contact and prints `got <id>` for every message event.
 * Both print `ready <peer id>` once started.
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { createNatter } from '../src/index.js'

ensurePromiseWithResolvers()

const [dataDir, bootstrap, role, peer, total] = process.argv.slice(2) as [string, string, string, string, string]
const natter = await createNatter({
  dataDir,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  network: 'local',
  bootstrap: [bootstrap],
  powDifficulty: 8,
  sendTimeoutMs: 3000,
  retryInitialMs: 250,
  retryMaxMs: 2000,
  mailboxFetchIntervalMs: 2000
})
const say = (line: string): void => { process.stdout.write(line + '\n') }
process.on('SIGTERM', () => { void natter.stop().then(() => process.exit(0)) })

if (role === 'receive') {
  if (natter.contacts.get(peer) == null) {
    await natter.contacts.add('sender', peer)
  }
  natter.addEventListener('message', (e) => { say(`got ${e.detail.id}`) })
  say(`ready ${natter.peerId}`)
} else {
  say(`ready ${natter.peerId}`)
  // resume after a restart: the store numbers outgoing messages 1, 2, 3, …
  let next = (natter.messages.history(peer, { limit: 1 }).at(-1)?.seq ?? 0) + 1
  const window = new Set<Promise<unknown>>()
  while (next <= Number(total)) {
    const p = natter.send(peer, `soak ${next++}`, { wait: 'queued' }).finally(() => { window.delete(p) })
    window.add(p)
    if (window.size >= 8) {
      await Promise.race(window)
    }
  }
  await Promise.all(window)
  say('all-queued')
}
