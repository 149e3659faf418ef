import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNatter } from '../../src/index.js'
import type { Natter, NatterInit } from '../../src/index.js'
import type { NatterLibp2p } from '../../src/network/libp2p.js'

/** Makes natter nodes on loopback with fresh data dirs and tears them all down. */
export function nodeFactory (defaults: Partial<NatterInit> = {}) {
  const nodes: Natter[] = []
  const dirs: string[] = []
  return {
    async tempDir (): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), 'natter-test-'))
      dirs.push(dir)
      return dir
    },
    async create (init: Partial<NatterInit> = {}): Promise<Natter> {
      const dataDir = init.dataDir ?? await this.tempDir()
      // a low proof-of-work difficulty keeps first messages fast; tests of the work itself raise it
      const node = await createNatter({ listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', powDifficulty: 8, ...defaults, ...init, dataDir })
      nodes.push(node)
      return node
    },
    async cleanup (): Promise<void> {
      await Promise.allSettled(nodes.splice(0).map(async n => { await n.stop() }))
      await Promise.allSettled(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
    }
  }
}

/**
 * The libp2p node inside a natter node, for tests that must observe the
 * network layer (a DHT lookup, the peer store). Not public API: the one
 * place to adapt when the library's composition changes.
 */
export function libp2pOf (natter: Natter): NatterLibp2p {
  const inner = (natter as unknown as { components?: { libp2p?: NatterLibp2p } }).components?.libp2p
  if (inner == null) {
    throw new Error('this natter node has no components.libp2p; update libp2pOf in test/helpers/nodes.ts')
  }
  return inner
}
