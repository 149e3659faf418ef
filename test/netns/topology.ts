/**
 * A simulated internet in Linux network namespaces, built and torn down by
 * the tests (and `bench/nat.ts`) themselves. Needs root, `ip` (iproute2) and
 * `nft` (nftables).
 *
 * - `core`: one bridge, no IP, no forwarding — the "internet", 11.0.0.0/24
 *   (a range libp2p counts as public; it exists only inside these namespaces,
 *   none of which has a link to the host).
 * - public hosts: one veth into the bridge, 11.0.0.x/24.
 * - homes: a router namespace (WAN veth into the bridge with 11.0.0.x, LAN
 *   veth to the home host on 10.0.N.0/24) doing NAT with nftables —
 *   `masquerade` (port-preserving) or `masquerade fully-random` (symmetric) —
 *   and dropping every unsolicited inbound packet on the WAN side.
 *
 * Names carry a random per-run prefix; {@link Topology.destroy} kills every
 * process started in the namespaces and deletes them, also after a failure.
 *
 * @module
 */
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { watchDaemon } from '../helpers/daemon-banner.js'
import type { ChildProcess } from 'node:child_process'

/** The package root, from test/netns/ (vitest) or dist/test/netns/ (the compiled bench). */
const ROOT = ((here: string) => here.includes('/dist/') ? here.slice(0, here.lastIndexOf('/dist/')) : join(here, '../..'))(fileURLToPath(new URL('.', import.meta.url)))
/** The built CLI entry. */
export const BIN = join(ROOT, 'dist/cli/index.js')

/** Why the namespace tests cannot run here, or undefined when they can. */
export async function netnsUnavailable (): Promise<string | undefined> {
  if (process.platform !== 'linux') {
    return 'network namespaces need Linux'
  }
  if (process.getuid?.() !== 0) {
    return 'network namespaces need root (CI runs as root)'
  }
  for (const tool of ['ip', 'nft']) {
    const found = await run('sh', ['-c', `command -v ${tool}`]).then(() => true, () => false)
    if (!found) {
      return `\`${tool}\` is not installed (apt-get install -y ${tool === 'ip' ? 'iproute2' : 'nftables'})`
    }
  }
  return undefined
}

/** Runs a command to completion; rejects with its stderr on a non-zero exit. */
export async function run (file: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err != null) {
        reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`))
        return
      }
      resolve(stdout)
    })
    if (input != null) {
      child.stdin?.end(input)
    }
  })
}

/** NAT kinds of a home router. */
export type NatKind = 'port-preserving' | 'symmetric'

/** A host in the topology. */
export interface Host {
  /** Namespace name. */
  ns: string
  /** The host's own IP. */
  ip: string
  /** For a home: the router's namespace and its WAN IP. */
  router?: { ns: string, wanIp: string, wanIf: string }
}

/** A natter daemon in a namespace. */
export interface NetnsDaemon {
  host: Host
  home: string
  peerId: string
  proc: ChildProcess
  stderr(): string
  exited: Promise<number | null>
}

/** The topology and what runs in it. */
export interface Topology {
  prefix: string
  publicHost(index: number): Promise<Host>
  home(index: number, nat: NatKind): Promise<Host>
  /** Starts `natter daemon` in `host`'s namespace (home reused when given). */
  daemon(host: Host, options?: { home?: string, args?: string[] }): Promise<NetnsDaemon>
  /** Kills a daemon (SIGKILL) and waits for it to exit. */
  kill(d: NetnsDaemon): Promise<void>
  /** Gives a home router a new WAN address (its ISP changed its IP). */
  changeWanIp(host: Host, newIp: string): Promise<void>
  /** Runs the CLI (from the host's namespace: the daemon's API socket is a file) against a daemon's home. */
  natter(home: string, args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }>
  destroy(): Promise<void>
}

const CORE_BRIDGE = 'br0'

/** Builds the core namespace; hosts are added with {@link Topology.publicHost} and {@link Topology.home}. */
export async function createTopology (): Promise<Topology> {
  const prefix = `nt${randomBytes(3).toString('hex')}`
  const namespaces: string[] = []
  const procs: ChildProcess[] = []
  const dirs: string[] = []
  let link = 0
  const ns = async (name: string): Promise<string> => {
    const full = `${prefix}-${name}`
    await run('ip', ['netns', 'add', full])
    namespaces.push(full)
    await run('ip', ['-n', full, 'link', 'set', 'lo', 'up'])
    return full
  }
  const inNs = async (name: string, args: string[]): Promise<string> => run('ip', ['netns', 'exec', name, ...args])
  /** A veth pair between two namespaces; returns the interface names (short: Linux allows 15 characters). */
  const veth = async (a: string, b: string): Promise<[string, string]> => {
    link++
    const ifA = `${prefix}a${link}`
    const ifB = `${prefix}b${link}`
    await run('ip', ['link', 'add', ifA, 'netns', a, 'type', 'veth', 'peer', 'name', ifB, 'netns', b])
    return [ifA, ifB]
  }

  const core = await ns('core')
  await run('ip', ['-n', core, 'link', 'add', CORE_BRIDGE, 'type', 'bridge'])
  await run('ip', ['-n', core, 'link', 'set', CORE_BRIDGE, 'up'])
  // the core only switches frames: it routes nothing, and has no link to the host
  await inNs(core, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=0'])

  const attach = async (nsName: string, ip: string): Promise<string> => {
    const [inside, port] = await veth(nsName, core)
    await run('ip', ['-n', core, 'link', 'set', port, 'master', CORE_BRIDGE])
    await run('ip', ['-n', core, 'link', 'set', port, 'up'])
    await run('ip', ['-n', nsName, 'addr', 'add', `${ip}/24`, 'dev', inside])
    await run('ip', ['-n', nsName, 'link', 'set', inside, 'up'])
    return inside
  }

  const topology: Topology = {
    prefix,
    async publicHost (index) {
      const name = await ns(`pub${index}`)
      const ip = `11.0.0.${index}`
      await attach(name, ip)
      return { ns: name, ip }
    },

    async home (index, nat) {
      const router = await ns(`r${index}`)
      const host = await ns(`h${index}`)
      const wanIp = `11.0.0.${10 + index}`
      const wanIf = await attach(router, wanIp)
      const [lanIf, hostIf] = await veth(router, host)
      await run('ip', ['-n', router, 'addr', 'add', `10.0.${index}.1/24`, 'dev', lanIf])
      await run('ip', ['-n', router, 'link', 'set', lanIf, 'up'])
      await run('ip', ['-n', host, 'addr', 'add', `10.0.${index}.2/24`, 'dev', hostIf])
      await run('ip', ['-n', host, 'link', 'set', hostIf, 'up'])
      await run('ip', ['-n', host, 'route', 'add', 'default', 'via', `10.0.${index}.1`])
      await inNs(router, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'])
      const masquerade = nat === 'symmetric' ? 'masquerade fully-random' : 'masquerade'
      // NAT, and nothing unsolicited in from the WAN: neither to the router nor through it
      await run('ip', ['netns', 'exec', router, 'nft', '-f', '-'], `
table ip nat {
  chain postrouting { type nat hook postrouting priority 100; oifname "${wanIf}" ${masquerade}; }
}
table inet filter {
  chain forward { type filter hook forward priority 0; policy drop; ct state established,related accept; iifname "${lanIf}" accept; }
  chain input { type filter hook input priority 0; policy accept; iifname "${wanIf}" ct state established,related accept; iifname "${wanIf}" drop; }
}
`)
      return { ns: host, ip: `10.0.${index}.2`, router: { ns: router, wanIp, wanIf } }
    },

    async daemon (host, options = {}) {
      const home = options.home ?? await mkdtemp(join(tmpdir(), `natter-${prefix}-`))
      if (options.home == null) {
        dirs.push(home)
      }
      // each daemon its own rendezvous directory: same-machine discovery would bypass the simulated network
      const rendezvous = await mkdtemp(join(tmpdir(), `natter-rdv-${prefix}-`))
      dirs.push(rendezvous)
      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', NATTER_RENDEZVOUS_DIR: rendezvous }
      delete env.NATTER_HOME
      delete env.DEBUG
      // NETNS_DEBUG=<namespaces> turns on libp2p's debug log in the daemons (read with NetnsDaemon.stderr)
      if (process.env.NETNS_DEBUG != null && process.env.NETNS_DEBUG !== '') {
        env.DEBUG = process.env.NETNS_DEBUG
      }
      const proc = spawn('ip', ['netns', 'exec', host.ns, process.execPath, BIN, '--home', home, 'daemon', '--json',
        '--listen', '/ip4/0.0.0.0/tcp/4001', '--no-mdns', ...(options.args ?? [])], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      procs.push(proc)
      const { banner, stderr, exited } = await watchDaemon<{ peerId: string }>(proc, `daemon in ${host.ns}`)
      return { host, home, peerId: banner.peerId, proc, stderr, exited }
    },

    async kill (d) {
      if (d.proc.exitCode == null && d.proc.signalCode == null) {
        d.proc.kill('SIGKILL')
      }
      await d.exited
    },

    async changeWanIp (host, newIp) {
      const r = host.router
      if (r == null) {
        throw new Error(`${host.ns} is not behind a router`)
      }
      // old first: deleting a subnet's primary address also deletes its secondaries
      await run('ip', ['-n', r.ns, 'addr', 'del', `${r.wanIp}/24`, 'dev', r.wanIf])
      await run('ip', ['-n', r.ns, 'addr', 'add', `${newIp}/24`, 'dev', r.wanIf])
      // the old mappings die with the old address, as when an ISP hands out a new one
      await inNs(r.ns, ['sh', '-c', 'command -v conntrack >/dev/null && conntrack -F || true'])
      r.wanIp = newIp
    },

    async natter (home, args) {
      return new Promise((resolve) => {
        const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
        delete env.NATTER_HOME
        const proc = spawn(process.execPath, [BIN, '--home', home, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
        procs.push(proc)
        let stdout = ''
        let stderr = ''
        proc.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d })
        proc.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
        proc.once('close', (code) => { resolve({ code, stdout, stderr }) })
      })
    },

    async destroy () {
      await Promise.all(procs.splice(0).map(async proc => {
        if (proc.exitCode != null || proc.signalCode != null) {
          return
        }
        const gone = new Promise<void>(resolve => { proc.once('exit', () => { resolve() }) })
        proc.kill('SIGKILL')
        await gone
      }))
      // deleting a namespace deletes its interfaces; any stray process in it is killed first
      for (const name of namespaces.splice(0).reverse()) {
        const pids = await run('ip', ['netns', 'pids', name]).catch(() => '')
        for (const pid of pids.split('\n').filter(p => p !== '')) {
          try {
            process.kill(Number(pid), 'SIGKILL')
          } catch {
            // already gone
          }
        }
        await run('ip', ['netns', 'del', name]).catch(() => {})
      }
      await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
    }
  }
  return topology
}
