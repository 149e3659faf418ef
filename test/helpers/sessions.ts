/**
 * Stand-ins for session tests: an in-memory DHT that validates prekey records
 * like kad-dht does, and a party (identity, store, session manager).
 */
import { defaultLogger } from '@libp2p/logger'
import { assertNotHeld } from '../../src/contacts/key-change.js'
import { storedPayload } from '../../src/messaging/inbound/dedupe.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { parsePeerId } from '../../src/crypto/peer.js'
import { createSessionManager, selectPrekeyRecord, validatePrekeyRecord } from '../../src/sessions/index.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import type { Ed25519Peer } from '../../src/crypto/peer.js'
import type { DhtEvent, PrekeyDht, SessionManager, SessionManagerInit } from '../../src/sessions/index.js'
import type { Store } from '../../src/store/index.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

/** A DHT in memory: one record per key, validated on put, newest kept. */
export interface MemoryDht extends PrekeyDht {
  records: Map<string, Uint8Array>
  /** Simulates an unreachable DHT. */
  offline: boolean
}

export function memoryDht (): MemoryDht {
  const records = new Map<string, Uint8Array>()
  const dht: MemoryDht = {
    records,
    offline: false,
    async * put (key: Uint8Array, value: Uint8Array): AsyncGenerator<DhtEvent> {
      await validatePrekeyRecord(key, value)
      const id = uint8ArrayToString(key, 'base16')
      const old = records.get(id)
      if (old == null || selectPrekeyRecord(key, [old, value]) === 1) {
        records.set(id, value)
      }
      if (!dht.offline) {
        yield { name: 'PEER_RESPONSE', messageName: 'PUT_VALUE' }
      }
    },
    async * get (key: Uint8Array): AsyncGenerator<DhtEvent> {
      const value = records.get(uint8ArrayToString(key, 'base16'))
      if (value != null && !dht.offline) {
        yield { name: 'VALUE', value }
      }
    }
  }
  return dht
}

export interface Party {
  key: Ed25519PrivateKey
  peer: Ed25519Peer
  store: Store
  sessions: SessionManager
  /** A fresh manager over the same key and store (as after a restart). */
  restart(): SessionManager
}

export async function party (dht: PrekeyDht, init: SessionManagerInit & { key?: Ed25519PrivateKey, store?: Store } = {}): Promise<Party> {
  const key = init.key ?? await generateKeyPair('Ed25519')
  const peer = parsePeerId(peerIdFromPrivateKey(key).toString())
  const store = init.store ?? openStore({ path: MEMORY_PATH })
  const make = (): SessionManager => createSessionManager({ key, self: peer, store, dht, logger: defaultLogger(), opened: storedPayload(store.messages), hold: (r) => { assertNotHeld(store.contacts, r) } }, { debounceMs: 1, ...init })
  const p: Party = {
    key,
    peer,
    store,
    sessions: make(),
    restart () {
      p.sessions = make()
      return p.sessions
    }
  }
  return p
}
