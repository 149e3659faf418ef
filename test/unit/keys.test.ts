/**
 * Keys at rest: the encrypted key file, the passphrase on the identity key
 * file (round trip, wrong passphrase leaves it byte-identical, re-keying),
 * encrypted backups (export / import round trip), and the store data key.
 * Costly scrypt parameters are lowered here (log2 N = 10); the format records
 * them, and the default cost is exercised by the integration test.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { scrypt } from '@noble/hashes/scrypt.js'
import { afterEach, describe, expect, it } from 'vitest'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../../src/keys/identity.js'
import {
  KeyFileKind, createBackup, createSecretBox, decryptKeyFile, encryptKeyFile, identityFileStatus, importIdentity, keyFileParams, passphraseKey, readBackup, setPassphrase
} from '../../src/keys/index.js'
import { openStore } from '../../src/store/index.js'

const FAST = { logN: 10, r: 8, p: 1 }

describe('keys at rest', () => {
  const dirs: string[] = []
  afterEach(async () => { await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) })) })
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'natter-keys-'))
    dirs.push(dir)
    return dir
  }

  it('encrypts and decrypts a key file; a wrong passphrase, another kind or a changed header fail by name', async () => {
    const secret = Uint8Array.from({ length: 68 }, (_, i) => i)
    const file = await encryptKeyFile(secret, 'pässword', { kind: KeyFileKind.IDENTITY, scrypt: FAST })
    expect(new TextDecoder().decode(file.subarray(0, 13))).toBe('NATTER-ENC-V1')
    expect(keyFileParams(file)).toEqual(FAST)
    // NFC and NFD spellings of a passphrase are the same passphrase
    expect(await decryptKeyFile(file, 'pa\u0308ssword', KeyFileKind.IDENTITY)).toEqual(secret)
    await expect(decryptKeyFile(file, 'password', KeyFileKind.IDENTITY)).rejects.toMatchObject({ name: 'WrongPassphraseError' })
    await expect(decryptKeyFile(file, 'pässword', KeyFileKind.BACKUP)).rejects.toMatchObject({ name: 'InvalidKeyFileError' })
    const lowered = Uint8Array.from(file)
    lowered[15] = 11 // log2 N: the header is authenticated
    await expect(decryptKeyFile(lowered, 'pässword', KeyFileKind.IDENTITY)).rejects.toMatchObject({ name: 'WrongPassphraseError' })
    const huge = Uint8Array.from(file)
    huge[15] = 30
    await expect(decryptKeyFile(huge, 'pässword', KeyFileKind.IDENTITY)).rejects.toMatchObject({ name: 'InvalidKeyFileError' })
    await expect(encryptKeyFile(secret, '', { kind: KeyFileKind.IDENTITY, scrypt: FAST })).rejects.toMatchObject({ name: 'InvalidArgumentError' })
  })

  it('derives the standard scrypt (the same as @noble/hashes)', async () => {
    const salt = Uint8Array.from({ length: 16 }, (_, i) => i)
    expect(await passphraseKey('correct horse', salt, FAST)).toEqual(scrypt('correct horse', salt, { N: 2 ** 10, r: 8, p: 1, dkLen: 32 }))
  })

  it('passphrase round trip on the identity key file; a wrong one changes nothing', async () => {
    const dir = await tempDir()
    expect(await identityFileStatus(dir)).toBe('missing')
    const key = await loadOrCreateIdentity(dir, { passphrase: 'first passphrase', scrypt: FAST })
    const file = join(dir, IDENTITY_FILE)
    expect(await identityFileStatus(dir)).toBe('encrypted')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const before = await readFile(file)

    // the passphrase may be asked for only when needed
    let asked = 0
    const again = await loadOrCreateIdentity(dir, { passphrase: async () => { asked++; return 'first passphrase' } })
    expect(asked).toBe(1)
    expect(again.equals(key)).toBe(true)
    await expect(loadOrCreateIdentity(dir)).rejects.toMatchObject({ name: 'PassphraseRequiredError' })
    await expect(loadOrCreateIdentity(dir, { passphrase: 'wrong' })).rejects.toMatchObject({ name: 'WrongPassphraseError' })
    await expect(setPassphrase(dir, 'wrong', 'second passphrase', { scrypt: FAST })).rejects.toMatchObject({ name: 'WrongPassphraseError' })
    await expect(setPassphrase(dir, undefined, 'second passphrase', { scrypt: FAST })).rejects.toMatchObject({ name: 'PassphraseRequiredError' })
    expect(Buffer.compare(await readFile(file), before)).toBe(0)

    // re-keyed: the old passphrase no longer opens it, the identity is the same
    await setPassphrase(dir, 'first passphrase', 'second passphrase', { scrypt: FAST })
    await expect(loadOrCreateIdentity(dir, { passphrase: 'first passphrase' })).rejects.toMatchObject({ name: 'WrongPassphraseError' })
    expect((await loadOrCreateIdentity(dir, { passphrase: 'second passphrase' })).equals(key)).toBe(true)
    expect((await stat(file)).mode & 0o777).toBe(0o600)

    // and back to an unencrypted file (mode 0600), then encrypted again
    await setPassphrase(dir, 'second passphrase', undefined)
    expect(await identityFileStatus(dir)).toBe('plain')
    expect((await loadOrCreateIdentity(dir)).equals(key)).toBe(true)
    // a passphrase given for an unencrypted file does not change it
    expect((await loadOrCreateIdentity(dir, { passphrase: 'unused' })).equals(key)).toBe(true)
    expect(await identityFileStatus(dir)).toBe('plain')
    await setPassphrase(dir, undefined, 'third', { scrypt: FAST })
    expect((await loadOrCreateIdentity(dir, { passphrase: 'third' })).equals(key)).toBe(true)
  })

  it('exports and imports an encrypted backup with contacts; a wrong passphrase writes nothing', async () => {
    const key = await generateKeyPair('Ed25519')
    const friend = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const contacts = [{ name: 'friend', peerId: friend, verified: true, addresses: ['/ip4/127.0.0.1/tcp/4001'] }]
    const backup = await createBackup(key, 'backup passphrase', { contacts, scrypt: FAST })
    expect(backup.startsWith('natter-backup-v1:')).toBe(true)
    expect(backup).not.toContain(friend)

    const dir = await tempDir()
    await expect(importIdentity(dir, backup, 'wrong', { scrypt: FAST })).rejects.toMatchObject({ name: 'WrongPassphraseError' })
    expect(await identityFileStatus(dir)).toBe('missing')
    await expect(importIdentity(dir, 'natter-backup-v1:AAAA', 'x')).rejects.toMatchObject({ name: 'InvalidKeyFileError' })
    await expect(importIdentity(dir, 'something else', 'x')).rejects.toMatchObject({ name: 'InvalidKeyFileError' })

    const result = await importIdentity(dir, backup, 'backup passphrase', { scrypt: FAST })
    expect(result).toEqual({ peerId: peerIdFromPrivateKey(key).toString(), contacts: 1 })
    // the restored key file is encrypted under the backup's passphrase by default
    expect((await loadOrCreateIdentity(dir, { passphrase: 'backup passphrase' })).equals(key)).toBe(true)
    const store = openStore({ path: join(dir, 'natter.db') })
    try {
      expect(store.contacts.get(friend)).toMatchObject({ name: 'friend', verified: true, addresses: ['/ip4/127.0.0.1/tcp/4001'] })
    } finally {
      store.close()
    }
    // an identity already there is not replaced unless asked
    await expect(importIdentity(dir, backup, 'backup passphrase', { scrypt: FAST })).rejects.toMatchObject({ name: 'IdentityKeyError' })
    const other = await tempDir()
    await importIdentity(other, backup, 'backup passphrase', { keyPassphrase: null, contacts: false })
    expect(await identityFileStatus(other)).toBe('plain')
    expect((await readBackup(backup, 'backup passphrase')).contents.contacts).toEqual(contacts)
  })

  it('seals store secrets under a key only the identity derives, bound to label and context', async () => {
    const key = await generateKeyPair('Ed25519')
    const box = createSecretBox(key)
    const sealed = box.seal('ratchet sessions', Uint8Array.of(1, 2), Uint8Array.of(42))
    expect(box.open('ratchet sessions', Uint8Array.of(1, 2), sealed)).toEqual(Uint8Array.of(42))
    expect(() => box.open('ratchet sessions', Uint8Array.of(1, 3), sealed)).toThrow(expect.objectContaining({ name: 'StoredSecretError' }))
    expect(() => box.open('prekey store', Uint8Array.of(1, 2), sealed)).toThrow(expect.objectContaining({ name: 'StoredSecretError' }))
    const other = createSecretBox(await generateKeyPair('Ed25519'))
    expect(() => other.open('ratchet sessions', Uint8Array.of(1, 2), sealed)).toThrow(expect.objectContaining({ name: 'StoredSecretError' }))
  })
})
