/**
 * `natter connect <multiaddr|peer>`: dials a peer, optionally keeping it as a
 * bootstrap peer for this run.
 *
 * @module
 */
import { print, printJson } from '../output.js'
import { withProgress } from '../progress.js'
import { clientFor, examples, globals } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

/** Registers `natter connect`. */
export function registerConnect (program: Command, ctx: Context): void {
  program
    .command('connect')
    .description('connect to a peer by multiaddr (or by peer id, through the DHT)')
    .argument('<address>', 'a multiaddr ending in /p2p/<peerId>, a peer id, or a contact name')
    .option('--bootstrap', 're-dial it whenever this node loses all connections (until the daemon stops)')
    .addHelpText('after', examples(
      ['natter connect /ip4/192.168.1.20/tcp/4001/p2p/12D3KooW…', 'join the network through a known node'],
      ['natter connect bob', 'connect to a contact']
    ))
    .action(async (address: string, options: { bootstrap?: boolean }, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      await withProgress(ctx, `connecting to ${address}…`, client.api.connect({ body: { address, bootstrap: options.bootstrap } }))
      if (globals(cmd).json === true) {
        printJson(ctx, { connected: true, address })
        return
      }
      print(ctx, `connected to ${address}`)
    })
}
