/**
 * `natter id`: this node's peer id, addresses and an invite (with its QR code);
 * `natter id export|import` back the identity up and restore it.
 *
 * @module
 */
import { formatNote, formatStatus, print, printJson, styleFor } from '../output.js'
import { clientFor, examples, globals } from '../shared.js'
import { registerIdExport } from './id-export.js'
import { registerIdImport } from './id-import.js'
import type { NodeInfo } from '../../node/api/types.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

async function qr (text: string): Promise<string> {
  // loaded only when a code is drawn (a quick start for everything else)
  const { default: qrcode } = await import('qrcode-terminal')
  return new Promise(resolve => { qrcode.generate(text, { small: true }, resolve) })
}

/** Registers `natter id`. */
export function registerId (program: Command, ctx: Context): void {
  const id = program
    .command('id')
    .description('show your peer id, addresses and an invite to share (with its QR code)')
    .option('--no-qr', 'leave out the QR code')
    .addHelpText('after', examples(
      ['natter id', 'invite and QR code for a friend'],
      ['natter id --json | jq -r .invite', 'just the invite string'],
      ['natter id export --out natter.backup', 'an encrypted backup of your identity'],
      ['natter --home ~/new id import natter.backup', 'restore it (no daemon running there)']
    ))
    .action(async (options: { qr: boolean }, cmd: Command) => {
      const g = globals(cmd)
      const client = await clientFor(ctx, cmd)
      const info = await client.api.id()
      if (g.json === true) {
        printJson(ctx, info)
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      const [first, ...rest] = info.addresses
      print(ctx,
        `${style.bold('peer id')}    ${info.peerId}`,
        `${style.bold('addresses')}  ${first ?? '(none)'}`,
        ...rest.map(a => `           ${a}`),
        `${style.bold('status')}     ${formatStatus(style, info.presence.status)}${formatNote(style, info.presence.note)}`,
        `${style.bold('connected')}  ${info.connections} peer${info.connections === 1 ? '' : 's'}`,
        `${style.bold('reachable')}  ${REACHABLE[info.reachability.state]}`,
        ''
      )
      // the invite comes last, after the tall QR code, so it stays on screen to copy
      if (options.qr) {
        print(ctx, await qr(info.invite))
      }
      print(ctx,
        `${style.bold('Invite')} (your friend runs \`natter contacts add <invite>\`):`,
        info.invite)
    })

  registerIdExport(id, ctx)
  registerIdImport(id, ctx)
}

/** How `natter id` says who can reach this node (issue 12). */
const REACHABLE: Record<NodeInfo['reachability']['state'], string> = {
  public: 'directly (a public address is confirmed)',
  relayed: 'through a relay (the invite carries the relayed address)',
  local: 'from this machine and its LAN only (local mode)',
  none: 'by nobody yet: add a friend\'s invite or set "bootstrap" to a public natter node'
}
