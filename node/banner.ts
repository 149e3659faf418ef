/**
 * The daemon's startup banner: its only output on stdout. Says who the node
 * is, where it listens and what to do next; with `json`, one JSON document.
 *
 * @module
 */
import { formatEndpoint } from './api/discovery.js'
import type { ApiEndpoint } from './api/discovery.js'

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

/** The banner as text (ends in a newline). */
export function formatBanner (info: BannerInfo): string {
  const natter = info.homeFlag == null ? 'natter' : `natter --home ${shellQuote(info.homeFlag)}`
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
    '',
    'Next, in another terminal:',
    `  ${natter} id                            show your invite and its QR code`,
    `  ${natter} contacts add <name> <invite>  add a friend from their invite`,
    `  ${natter} chat <name>                   chat with them`,
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
    rendezvousDir: info.rendezvousDir
  }) + '\n'
}
