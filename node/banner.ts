/**
 * The daemon's startup banner: its only output on stdout. Says who the node
 * is, where it listens and what to do next; with `json`, one JSON document.
 *
 * @module
 */
import { realpathSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { formatEndpoint } from './api/discovery.js'
import type { ApiEndpoint } from './api/discovery.js'
import type { Reachability } from '../src/index.js'

/** What the banner shows. */
export interface BannerInfo {
  peerId: string
  addresses: string[]
  api: ApiEndpoint
  home: string
  /** Whether this start created `config.json` (a new home). */
  created: boolean
  /** Whether this start created the identity key (rather than loading an existing or restored one). */
  newIdentity: boolean
  /** Whether the identity key file is encrypted under a passphrase. */
  encrypted: boolean
  mdns: boolean
  rendezvousDir: string
  /** Set when the user chose the home with `--home`: hints repeat it. */
  homeFlag?: string
  /** Listen addresses from the config (to tell whether all interfaces are used). */
  listen?: string[]
  /**
   * How to run the CLI: `natter` when it is on the PATH, else the exact
   * command (`node /…/dist/cli/index.js`). @default 'natter'
   */
  command?: string
  /** Set when `natter` is not on the PATH: the package directory where `npm link` puts it there. */
  linkDir?: string
  /** How others reach this node (absent: not shown). */
  reachability?: Reachability
}

/** `value` quoted for a POSIX shell when it needs to be. */
export function shellQuote (value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`
}

function created (info: BannerInfo): string {
  if (info.created && info.newIdentity) {
    return ' (new identity and config.json created)'
  }
  if (info.newIdentity || info.created) {
    return info.newIdentity ? ' (new identity created)' : ' (config.json created)'
  }
  return ''
}

/** Whether a listen address takes every interface (`0.0.0.0`, `::`). */
function allInterfaces (address: string): boolean {
  return /^\/ip[46]\/(0\.0\.0\.0|::)\//.test(address)
}

/** Lines saying who can reach this node, and how to change it. */
function exposure (info: BannerInfo, natter: string): string[] {
  const lines: string[] = []
  const wide = (info.listen ?? []).filter(allInterfaces)
  if (wide.length > 0) {
    const port = /\/tcp\/(\d+)/.exec(wide[0]!)?.[1] ?? '0'
    lines.push('  note         listening on all interfaces: other machines on your networks can connect;',
      `               to stay on this machine: ${natter} config set listen /ip4/127.0.0.1/tcp/${port}`)
  }
  if (info.mdns) {
    lines.push(`  note         mDNS announces this node on the local network; to stop: ${natter} config set mdns off`)
  }
  return lines
}

/** Lines saying how others reach this node, and a warning when nobody can (issue 12). */
export function reachabilityLines (r: Reachability | undefined, natter: string): string[] {
  switch (r?.state) {
    case undefined:
      return []
    case 'public':
      return ['  reachable    directly (a public address is confirmed)']
    case 'relayed':
      return ['  reachable    through a relay (no public address; direct connections are tried when a friend connects)']
    case 'local':
      return ['  reachable    local mode: from this machine and its LAN only (network "local")']
    case 'none':
      return [
        '  WARNING      reachable by nobody yet: no public address is confirmed and no relay holds a reservation.',
        '               It finds a relay among its bootstrap peers and contacts within seconds when it has any;',
        `               otherwise add a friend's invite (${natter} contacts add <invite>) or set "bootstrap" in`,
        '               config.json to a public natter node. On a public host, check that the listen port is open.',
        `               \`${natter} status\` shows it again.`
      ]
  }
}

/** The banner as text (ends in a newline). */
export function formatBanner (info: BannerInfo): string {
  const command = info.command ?? 'natter'
  const natter = info.homeFlag == null ? command : `${command} --home ${shellQuote(info.homeFlag)}`
  const [first, ...rest] = info.addresses
  const lines = [
    `natter daemon running (pid ${process.pid})`,
    `  peer id      ${info.peerId}`,
    `  listening    ${first ?? '(no addresses)'}`,
    ...rest.map(a => `               ${a}`),
    `  control API  ${formatEndpoint(info.api)}`,
    `  home         ${info.home}${created(info)}`,
    `  identity key ${info.encrypted ? 'encrypted with a passphrase' : 'not encrypted (see `natter passphrase --help`)'}`,
    `  discovery    mDNS ${info.mdns ? 'on' : 'off'}; same-machine rendezvous in ${info.rendezvousDir}`,
    ...exposure(info, natter),
    ...reachabilityLines(info.reachability, natter),
    '',
    ...(info.linkDir == null ? [] : [`natter is not on your PATH: run \`npm link\` in ${info.linkDir} to put it there; until then:`]),
    'Next, in another terminal:',
    `  ${natter} id                            show your invite and its QR code`,
    `  ${natter} contacts add <invite>         add a friend from their invite`,
    `  ${natter} chat <name>                   chat with them (\`chat\` alone: your conversations)`,
    `  ${natter} stop                          stop this daemon (or press Ctrl-C here)`,
    ''
  ]
  return lines.join('\n')
}

/** The banner as one JSON document (ends in a newline). */
export function formatBannerJson (info: BannerInfo): string {
  return JSON.stringify({
    peerId: info.peerId,
    addresses: info.addresses,
    api: info.api,
    home: info.home,
    pid: process.pid,
    created: info.created,
    newIdentity: info.newIdentity,
    encrypted: info.encrypted,
    mdns: info.mdns,
    rendezvousDir: info.rendezvousDir,
    ...(info.reachability == null ? {} : { reachability: info.reachability })
  }) + '\n'
}

/**
 * How the user runs the CLI that started this daemon: `natter` when the
 * `natter` on the PATH is this very file, else `node <path>` and the package
 * directory where `npm link` would put it on the PATH.
 */
export function cliCommand (env: NodeJS.ProcessEnv, entry = process.argv[1]): { command: string, linkDir?: string } {
  if (entry == null) {
    return { command: 'natter' }
  }
  let self: string
  try {
    self = realpathSync(entry)
  } catch {
    return { command: 'natter' }
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') {
      continue
    }
    try {
      if (realpathSync(join(dir, 'natter')) === self) {
        return { command: 'natter' }
      }
    } catch {
      // not in this directory
    }
  }
  // dist/cli/index.js → the package directory
  const pkg = dirname(dirname(dirname(self)))
  return { command: `node ${shellQuote(self)}`, linkDir: pkg }
}
