import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

const PEER = fileURLToPath(new URL('../fixtures/peer.mjs', import.meta.url))

/** A natter node running in a child process (from the built dist/). */
export interface ChildPeer {
  proc: ChildProcess
  peerId: string
  addresses: string[]
}

/** Starts test/fixtures/peer.mjs and waits for its startup line. */
export async function startChildPeer (dataDir: string, bootstrap: string | undefined, presenceTtlMs?: number, options: { visibility?: 'invisible' | 'contacts' | 'public', contact?: string } = {}): Promise<ChildPeer> {
  const args = [PEER, dataDir, bootstrap ?? '-']
  if (presenceTtlMs != null || options.visibility != null) {
    args.push(presenceTtlMs != null ? String(presenceTtlMs) : '-')
  }
  if (options.visibility != null) {
    args.push(options.visibility)
    if (options.contact != null) args.push(options.contact)
  }
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: proc.stdout! })
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve)
    proc.once('exit', (code) => { reject(new Error(`child peer exited with ${code}`)) })
  })
  lines.close()
  const info = JSON.parse(first) as { peerId: string, addresses: string[] }
  return { proc, ...info }
}
