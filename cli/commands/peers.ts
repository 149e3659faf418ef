/**
 * `natter peers`: peers connected now.
 *
 * @module
 */
import { print, printJson, styleFor, who } from '../output.js'
import { clientFor, examples, globals } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

/** Registers `natter peers`. */
export function registerPeers (program: Command, ctx: Context): void {
  program
    .command('peers')
    .description('list the peers connected now')
    .addHelpText('after', examples(['natter peers', 'connected peers, contacts by name'], ['natter peers --json', 'as JSON']))
    .action(async (_options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { peers } = await client.api.peers()
      if (globals(cmd).json === true) {
        printJson(ctx, { peers })
        return
      }
      if (peers.length === 0) {
        ctx.stderr.write('not connected to any peer\n')
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      for (const p of peers) {
        print(ctx, p.name == null ? p.peerId : `${p.peerId}  ${style.bold(who(p.peerId, p.name))}`)
      }
    })
}
