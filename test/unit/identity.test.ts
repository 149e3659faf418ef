import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../../src/keys/identity.js'
import { nodeFactory } from '../helpers/nodes.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'

describe('identity', () => {
  const nodes = nodeFactory()
  afterEach(async () => { await nodes.cleanup() })

  it('is created with mode 0600 and reloaded with the same peer id', async () => {
    const dir = await nodes.tempDir()
    const first = await loadOrCreateIdentity(join(dir, 'home'))
    const mode = (await stat(join(dir, 'home', IDENTITY_FILE))).mode & 0o777
    expect(mode).toBe(0o600)
    const again = await loadOrCreateIdentity(join(dir, 'home'))
    expect(peerIdFromPrivateKey(again).equals(peerIdFromPrivateKey(first))).toBe(true)
  })

  it('survives a node restart: same peer id', async () => {
    const dataDir = await nodes.tempDir()
    const a = await nodes.create({ dataDir })
    const id = a.peerId
    await a.stop()
    const b = await nodes.create({ dataDir })
    expect(b.peerId).toBe(id)
  })

  it('a corrupt key file gives IdentityKeyError and is left untouched', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'natter-test-'))
    try {
      const garbage = Buffer.from('this is not a key')
      await writeFile(join(dataDir, IDENTITY_FILE), garbage, { mode: 0o600 })
      await expect(nodes.create({ dataDir })).rejects.toMatchObject({ name: 'IdentityKeyError' })
      expect(await readFile(join(dataDir, IDENTITY_FILE))).toEqual(garbage)
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('an unreadable key file gives IdentityKeyError', async () => {
    const dataDir = await nodes.tempDir()
    // a directory where the key file should be: reading it fails with EISDIR (works even as root)
    const { mkdir } = await import('node:fs/promises')
    await mkdir(join(dataDir, IDENTITY_FILE))
    await expect(loadOrCreateIdentity(dataDir)).rejects.toMatchObject({ name: 'IdentityKeyError' })
  })
})
