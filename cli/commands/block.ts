/**
 * `natter block <peer>`: drops the peer's messages and presence from now on.
 *
 * @module
 */
import { print, printJson, shortPeer } from '../output.js'
import { clientFor, examples, globals } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

/** Registers `natter block`. */
export function registerBlock (program: Command, ctx: Context): void {
  program
    .command('block')
    .description('block a peer: their messages and presence are dropped')
    .argument('<peer>', 'contact name or peer id')
    .addHelpText('after', examples(['natter block 12D3KooW…', 'block a stranger'], ['natter block bob', 'block a contact']))
    .action(async (peer: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { peerId } = await client.api.block({ body: { peer } })
      if (globals(cmd).json === true) {
        printJson(ctx, { peerId, blocked: true })
        return
      }
      print(ctx, `blocked ${peer === peerId ? shortPeer(peerId) : peer}`)
    })
}
