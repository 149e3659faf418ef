/**
 * `natter unblock <peer>`: lifts a block.
 *
 * @module
 */
import { print, printJson, shortPeer } from '../output.js'
import { clientFor, examples, globals } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

/** Registers `natter unblock`. */
export function registerUnblock (program: Command, ctx: Context): void {
  program
    .command('unblock')
    .description('unblock a peer')
    .argument('<peer>', 'contact name or peer id')
    .addHelpText('after', examples(['natter unblock bob', 'accept bob\'s messages again']))
    .action(async (peer: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { peerId } = await client.api.unblock({ body: { peer } })
      if (globals(cmd).json === true) {
        printJson(ctx, { peerId, blocked: false })
        return
      }
      print(ctx, `unblocked ${peer === peerId ? shortPeer(peerId) : peer}`)
    })
}
