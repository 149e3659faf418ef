import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { eventually, harness, subscribe } from './helpers.js'
import type { DaemonHandle } from './helpers.js'
import type { ContactView, EventView, MessageView, Replies } from '../../node/api/contract/index.js'

interface ErrorDoc { error: { name: string, message: string, exitCode: number, details?: Record<string, string> } }

const DAEMON_ARGS = ['daemon', '--json', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--network', 'local']

async function exists (path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false)
}

/** A valid peer id nobody runs. */
async function strangerPeerId (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

describe('identity keys: passphrases, safety numbers, key changes, backups', () => {
  const h = harness()
  afterEach(async () => { await h.cleanup() })

  /** Writes `text` as a passphrase file in a temporary directory. */
  async function passFile (text: string): Promise<string> {
    const path = join(await h.tempDir('natter-pass-'), 'pass')
    await writeFile(path, `${text}\n`, { mode: 0o600 })
    return path
  }

  async function stop (d: DaemonHandle): Promise<void> {
    expect((await h.natter(['stop'], { home: d.home })).code).toBe(0)
    expect(await d.exited).toBe(0)
  }

  /** For each `[who, name, whom]`: `who` adds `whom` as `name`, by invite. */
  async function friends (...pairs: Array<[DaemonHandle, string, DaemonHandle]>): Promise<void> {
    for (const [who, name, whom] of pairs) {
      const { invite } = await h.json<{ invite: string }>(['id'], { home: whom.home })
      await h.json(['contacts', 'add', name, invite], { home: who.home })
    }
  }

  it('starts with an encrypted key given by NATTER_PASSPHRASE or --passphrase-file; refuses a missing or wrong one without touching the key', async () => {
    const home = await h.tempDir()
    const first = await h.startDaemon({ home, env: { NATTER_PASSPHRASE: 'correct horse battery' } })
    expect(first.info).toMatchObject({ newIdentity: true, encrypted: true })
    await stop(first)
    const keyFile = join(home, 'identity.key')
    const key = await readFile(keyFile)
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)

    // no passphrase and no terminal: one line naming the three ways, exit 9
    const missing = await h.natter(DAEMON_ARGS, { home })
    expect(missing.code).toBe(9)
    const lines = missing.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/encrypted.*--passphrase-file.*NATTER_PASSPHRASE.*terminal/)

    // wrong, from the environment and from a file: exit 9, the key file byte for byte the same, no lock left
    const wrongEnv = await h.natter(DAEMON_ARGS, { home, env: { NATTER_PASSPHRASE: 'wrong horse' } })
    const wrongFile = await h.natter([...DAEMON_ARGS, '--passphrase-file', await passFile('also wrong')], { home })
    for (const wrong of [wrongEnv, wrongFile]) {
      expect(wrong.code).toBe(9)
      expect(wrong.stderr.trim().split('\n')).toHaveLength(1)
      expect(wrong.stderr).toMatch(/wrong passphrase .*nothing was changed/)
    }
    expect(wrongEnv.stderr).toContain('NATTER_PASSPHRASE')
    expect(Buffer.compare(await readFile(keyFile), key)).toBe(0)
    expect(await exists(join(home, 'daemon.lock'))).toBe(false)

    // the file wins over the environment
    const again = await h.startDaemon({ home, args: ['--passphrase-file', await passFile('correct horse battery')], env: { NATTER_PASSPHRASE: 'wrong horse' } })
    expect(again.info).toMatchObject({ peerId: first.info.peerId, newIdentity: false, encrypted: true })
    expect(Buffer.compare(await readFile(keyFile), key)).toBe(0)
  })

  it('natter passphrase sets, changes and removes the passphrase, only while the daemon is stopped', async () => {
    const d = await h.startDaemon()
    expect(d.info.encrypted).toBe(false)
    const one = await passFile('first passphrase')
    const two = await passFile('second passphrase')
    const running = await h.natter(['passphrase', 'set', '--new-passphrase-file', one], { home: d.home })
    expect(running.code).toBe(7)
    expect(running.stderr).toMatch(/while a natter daemon \(pid \d+\) runs.*natter stop/)
    await stop(d)

    expect(await h.json(['passphrase'], { home: d.home })).toMatchObject({ identity: 'plain' })
    expect(await h.json(['passphrase', 'set', '--new-passphrase-file', one], { home: d.home })).toMatchObject({ identity: 'encrypted' })
    expect((await h.natter(['passphrase', 'set', '--new-passphrase-file', one], { home: d.home })).code).toBe(2)

    const key = await readFile(join(d.home, 'identity.key'))
    const wrong = await h.natter(['passphrase', 'change', '--new-passphrase-file', two], { home: d.home, env: { NATTER_PASSPHRASE: 'not it' } })
    expect(wrong.code).toBe(9)
    expect(wrong.stderr).toMatch(/wrong passphrase/)
    expect(Buffer.compare(await readFile(join(d.home, 'identity.key')), key)).toBe(0)
    // no terminal and no --new-passphrase-file: told which flag to use
    const noNew = await h.natter(['passphrase', 'change', '--passphrase-file', one], { home: d.home })
    expect(noNew.code).toBe(2)
    expect(noNew.stderr).toContain('--new-passphrase-file')

    await h.json(['passphrase', 'change', '--passphrase-file', one, '--new-passphrase-file', two], { home: d.home })
    expect((await h.natter(DAEMON_ARGS, { home: d.home, env: { NATTER_PASSPHRASE: 'first passphrase' } })).code).toBe(9)
    expect(await h.json(['passphrase', 'remove', '--passphrase-file', two], { home: d.home })).toMatchObject({ identity: 'plain' })
    expect((await h.startDaemon({ home: d.home })).info).toMatchObject({ peerId: d.info.peerId, encrypted: false })
  })

  it('asks for the passphrase on a terminal without echoing it', async () => {
    const home = await h.tempDir()
    await stop(await h.startDaemon({ home }))
    const set = await h.pty(['passphrase', 'set'], { home })
    await set.waitFor('new passphrase: ')
    set.write('tr0ub4dor-zebra\r')
    await set.waitFor('repeat the new passphrase: ')
    set.write('tr0ub4dor-zebra\r')
    expect(await set.exited).toBe(0)
    expect(set.output()).toContain('is encrypted')

    const daemon = await h.pty(DAEMON_ARGS, { home })
    await daemon.waitFor(/passphrase of .*identity\.key: /)
    daemon.write('tr0ub4dor-zebra\r')
    await daemon.waitFor('"encrypted":true')
    expect(daemon.output()).not.toContain('tr0ub4dor')
    expect(set.output()).not.toContain('tr0ub4dor')
  })

  it('natter verify prints the same safety number on both sides; --mark and --unmark set verified', async () => {
    const [alice, bob] = await Promise.all([h.startDaemon(), h.startDaemon()])
    await friends([alice, 'bob', bob], [bob, 'alice', alice])
    const [fromAlice, fromBob] = await Promise.all([
      h.json<Replies['safetyNumber']>(['verify', 'bob'], { home: alice.home }),
      h.json<Replies['safetyNumber']>(['verify', 'alice'], { home: bob.home })
    ])
    expect(fromAlice.digits).toMatch(/^\d{60}$/)
    expect(fromAlice.digits).toBe(fromBob.digits)
    expect(fromAlice).toMatchObject({ peerId: bob.info.peerId, name: 'bob', verified: false, pending: false })
    expect(fromAlice.groups.join('')).toBe(fromAlice.digits)

    const text = await h.natter(['verify', 'bob'], { home: alice.home })
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(fromAlice.groups.slice(0, 4).join('  '))
    expect(text.stdout).toMatch(/compare/i)
    expect(text.stdout).toContain(`natter --home ${alice.home} verify bob --mark`)

    expect((await h.json<{ contact: ContactView }>(['verify', 'bob', '--mark'], { home: alice.home })).contact.verified).toBe(true)
    const list = await h.json<{ contacts: ContactView[] }>(['contacts', 'list'], { home: alice.home })
    expect(list.contacts.find(c => c.name === 'bob')).toMatchObject({ verified: true, keyChanged: false, pendingPeerId: null })
    expect(list.contacts[0]!.identityKey).toMatch(/^[0-9a-f]{64}$/)
    expect((await h.json<{ contact: ContactView }>(['verify', 'bob', '--unmark'], { home: alice.home })).contact.verified).toBe(false)
    expect((await h.natter(['verify', 'carol'], { home: alice.home })).code).toBe(4)
  })

  it('holds messages to a contact whose key changed until accept-key; then they go to the new peer', async () => {
    // carol plays bob after a reinstall: a new peer id under the name alice knows
    const [alice, bob, carol] = await Promise.all([h.startDaemon(), h.startDaemon(), h.startDaemon()])
    await friends([alice, 'bob', bob], [carol, 'alice', alice])
    const stream = await subscribe<EventView>(alice)

    const changed = await h.natter(['contacts', 'add', 'bob', carol.info.peerId, '--json'], { home: alice.home })
    expect(changed.code).toBe(0)
    expect(changed.stderr).toContain('WARNING: the identity key of bob has changed')
    expect(JSON.parse(changed.stdout)).toMatchObject({ contact: { name: 'bob', peerId: bob.info.peerId, keyChanged: true, pendingPeerId: carol.info.peerId } })
    await eventually(() => stream.events.some(e => e.type === 'contact:key-changed'), 5_000, 'the key-changed event')
    expect(stream.events.find(e => e.type === 'contact:key-changed')).toMatchObject({
      peerId: bob.info.peerId, newPeerId: carol.info.peerId, contact: { name: 'bob', keyChanged: true }
    })
    stream.res.destroy()
    expect(alice.stderr()).toMatch(/IDENTITY KEY CHANGED for contact bob/)

    const list = await h.json<{ contacts: ContactView[] }>(['contacts', 'list'], { home: alice.home })
    expect(list.contacts).toEqual([expect.objectContaining({ name: 'bob', peerId: bob.info.peerId, keyChanged: true, pendingPeerId: carol.info.peerId })])
    expect((await h.natter(['contacts', 'list'], { home: alice.home })).stdout).toMatch(/^bob\s+12D3KooW\S+\s+KEY CHANGED/)

    const held = await h.natter(['send', 'bob', 'held one'], { home: alice.home })
    expect(held.code).toBe(8)
    expect(held.stderr).toContain('WARNING: the identity key of bob has changed')
    expect(held.stderr).toMatch(/natter: the message [0-9a-f]+ to bob is held.*contacts accept-key bob/)
    const queued = await h.natter(['send', 'bob', 'held two', '--no-wait', '--json'], { home: alice.home })
    expect(queued.code).toBe(8)
    expect(JSON.parse(queued.stdout) as ErrorDoc).toMatchObject({
      error: { name: 'IdentityKeyChangedError', exitCode: 8, details: { contact: 'bob', peerId: bob.info.peerId, newPeerId: carol.info.peerId } }
    })

    // the number for the new key is the one carol sees
    const [pending, fromCarol] = await Promise.all([
      h.json<Replies['safetyNumber']>(['verify', 'bob', '--pending'], { home: alice.home }),
      h.json<Replies['safetyNumber']>(['verify', 'alice'], { home: carol.home })
    ])
    expect(pending).toMatchObject({ peerId: carol.info.peerId, pending: true, digits: fromCarol.digits })

    const accepted = await h.json<{ contact: ContactView, previousPeerId: string }>(['contacts', 'accept-key', 'bob'], { home: alice.home })
    expect(accepted).toMatchObject({ previousPeerId: bob.info.peerId, contact: { name: 'bob', peerId: carol.info.peerId, keyChanged: false, verified: false } })
    expect((await h.natter(['contacts', 'accept-key', 'bob'], { home: alice.home })).code).toBe(4)

    const sent = await h.json<{ message: MessageView }>(['send', 'bob', 'to the new key'], { home: alice.home })
    expect(sent.message).toMatchObject({ peer: carol.info.peerId, state: 'delivered' })
    await eventually(async () => {
      const history = await h.json<{ messages: MessageView[] }>(['history', 'alice'], { home: carol.home })
      return ['held one', 'held two', 'to the new key'].every(t => history.messages.some(m => m.direction === 'in' && m.text === t))
    }, 30_000, 'carol has the held messages and the new one')
    // the held copies, addressed to the old key, failed saying where they went
    const old = await h.json<{ messages: MessageView[] }>(['history', bob.info.peerId], { home: alice.home })
    expect(old.messages.map(m => [m.text, m.state, m.failReason])).toEqual([
      ['held one', 'failed', `identity key changed: re-sent to ${carol.info.peerId}`],
      ['held two', 'failed', `identity key changed: re-sent to ${carol.info.peerId}`]
    ])
  })

  it('the chat screen warns when the key changes, holds what is typed, and exits 8', async () => {
    const [alice, bob] = await Promise.all([h.startDaemon(), h.startDaemon()])
    await friends([alice, 'bob', bob])
    const chat = await h.pty(['chat', 'bob'], { home: alice.home })
    await chat.waitFor('chatting with bob')
    await chat.waitFor('> ')
    await h.json(['contacts', 'add', 'bob', await strangerPeerId()], { home: alice.home })
    await chat.waitFor('WARNING: the identity key of bob has changed')
    await chat.waitFor(`contacts accept-key bob`)
    chat.write('are you there?\r')
    await chat.waitFor(/held: bob's identity key changed/)
    chat.write('/quit\r')
    expect(await chat.exited).toBe(8)
    expect(chat.output()).toMatch(/natter: the message to bob is held/)
    // shown once, however many times it comes up
    expect(chat.output().split('WARNING: the identity key of bob has changed')).toHaveLength(2)
  })

  it('reject-key keeps the old key and sends the held messages to it', async () => {
    const [alice, bob] = await Promise.all([h.startDaemon(), h.startDaemon()])
    await friends([alice, 'bob', bob], [bob, 'alice', alice])
    await h.json(['contacts', 'add', 'bob', await strangerPeerId()], { home: alice.home })
    expect((await h.natter(['send', 'bob', 'kept back', '--no-wait'], { home: alice.home })).code).toBe(8)
    const rejected = await h.json<{ contact: ContactView }>(['contacts', 'reject-key', 'bob'], { home: alice.home })
    expect(rejected.contact).toMatchObject({ peerId: bob.info.peerId, keyChanged: false, pendingPeerId: null })
    await eventually(async () => {
      const history = await h.json<{ messages: MessageView[] }>(['history', 'alice'], { home: bob.home })
      return history.messages.some(m => m.text === 'kept back')
    }, 30_000, 'bob has the held message')
    expect((await h.natter(['contacts', 'reject-key', 'bob'], { home: alice.home })).code).toBe(4)
  })

  it('id export, then id import into a fresh home, gives the same peer id', async () => {
    const alice = await h.startDaemon()
    const carol = await strangerPeerId()
    await h.json(['contacts', 'add', 'carol', carol], { home: alice.home })
    const pass = await passFile('backup passphrase')

    const exported = await h.json<{ backup: string, peerId: string, contacts: number }>(['id', 'export', '--passphrase-file', pass, '--with-contacts'], { home: alice.home })
    expect(exported).toMatchObject({ peerId: alice.info.peerId, contacts: 1 })
    expect(exported.backup).toMatch(/^natter-backup-v1:[\w-]+$/)
    const file = join(await h.tempDir('natter-backup-'), 'alice.backup')
    expect((await h.natter(['id', 'export', '--passphrase-file', pass, '--out', file], { home: alice.home })).code).toBe(0)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await readFile(file, 'utf8')).trim()).toMatch(/^natter-backup-v1:/)
    expect((await h.natter(['id', 'export', '--passphrase-file', pass, '--out', file], { home: alice.home })).code).toBe(7)
    // no terminal, no passphrase file
    expect((await h.natter(['id', 'export'], { home: alice.home })).code).toBe(2)

    // not while a daemon runs on the home
    const busy = await h.natter(['id', 'import', file, '--passphrase-file', pass, '--force'], { home: alice.home })
    expect(busy.code).toBe(7)
    expect(busy.stderr).toMatch(/cannot import an identity while a natter daemon \(pid \d+\) runs/)
    await stop(alice)

    const fresh = await h.tempDir()
    const imported = await h.json<{ peerId: string, contacts: number }>(['id', 'import', '-', '--passphrase-file', pass], { home: fresh, input: exported.backup })
    expect(imported).toEqual({ home: fresh, peerId: alice.info.peerId, contacts: 1 })
    const key = await readFile(join(fresh, 'identity.key'))
    expect((await h.natter(['id', 'import', file, '--passphrase-file', pass], { home: fresh })).code).toBe(7)
    const wrong = await h.natter(['id', 'import', file, '--passphrase-file', await passFile('nope'), '--force'], { home: fresh })
    expect(wrong.code).toBe(9)
    expect(wrong.stderr).toMatch(/wrong passphrase for the backup/)
    expect(Buffer.compare(await readFile(join(fresh, 'identity.key')), key)).toBe(0)
    expect((await h.natter(['id', 'import', pass, '--passphrase-file', pass], { home: await h.tempDir() })).code).toBe(2)

    // the restored key is encrypted under the backup's passphrase
    const clone = await h.startDaemon({ home: fresh, env: { NATTER_PASSPHRASE: 'backup passphrase' } })
    expect(clone.info).toMatchObject({ encrypted: true, newIdentity: false })
    expect((await h.json<{ peerId: string }>(['id'], { home: fresh })).peerId).toBe(alice.info.peerId)
    const contacts = await h.json<{ contacts: ContactView[] }>(['contacts', 'list'], { home: fresh })
    expect(contacts.contacts.map(c => [c.name, c.peerId])).toEqual([['carol', carol]])
  })
})
