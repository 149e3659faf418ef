/**
 * `natter ping <peer>`: round-trip time to a peer, connecting first if needed.
 *
 * @module
 */
import { print, printJson } from '../output.js'
import { withProgress } from '../progress.js'
import { safeText } from '../safe-text.js'
import { clientFor, examples, globals } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

/** `0.214 ms`, `3.42 ms`, `57.3 ms`: sub-millisecond times stay visible. */
export function formatRtt (ms: number): string {
  if (ms < 1) {
    return `${ms.toFixed(3)} ms`
  }
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`
}

/** Registers `natter ping`. */
export function registerPing (program: Command, ctx: Context): void {
  program
    .command('ping')
    .description('measure the round-trip time to a peer (finding and dialling it if needed)')
    .argument('<peer>', 'contact name or peer id')
    .addHelpText('after', examples(['natter ping bob', 'is bob reachable?'], ['natter ping 12D3KooW… --json', 'as JSON: { peerId, rttMs }']))
    .action(async (peer: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const result = await withProgress(ctx, `pinging ${peer}…`, client.api.ping({ body: { peer } }))
      if (globals(cmd).json === true) {
        printJson(ctx, result)
        return
      }
      print(ctx, `pong from ${safeText(peer)} in ${formatRtt(result.rttMs)}`)
    })
}
