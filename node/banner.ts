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
  /** Whether this start created the home (identity and config). */
  created: boolean
  mdns: boolean
  rendezvousDir: string
  /** Set when the user chose the home with `--home`: hints repeat it. */
  homeFlag?: string
}

function shellQuote (value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`
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
    `  home         ${info.home}${info.created ? ' (new identity and config.json created)' : ''}`,
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
    mdns: info.mdns,
    rendezvousDir: info.rendezvousDir
  }) + '\n'
}
