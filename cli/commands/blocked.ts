/**
 * `natter blocked`: the peers you blocked.
 *
 * @module
 */
import { formatTime, print, printJson, styleFor } from '../output.js'
import { clientFor, examples, globals } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

/** Registers `natter blocked`. */
export function registerBlocked (program: Command, ctx: Context): void {
  program
    .command('blocked')
    .description('list blocked peers')
    .addHelpText('after', examples(['natter blocked', 'who you blocked, most recent first'], ['natter blocked --json', 'as JSON']))
    .action(async (_options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { blocked } = await client.api.blocked()
      if (globals(cmd).json === true) {
        printJson(ctx, { blocked })
        return
      }
      if (blocked.length === 0) {
        ctx.stderr.write('nobody is blocked\n')
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      for (const b of blocked) {
        print(ctx, `${b.peerId}  ${style.dim(`since ${formatTime(b.blockedAt)}`)}`)
      }
    })
}
