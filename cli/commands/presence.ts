/**
 * `natter presence`: your contacts (and other peers seen) with their presence.
 *
 * @module
 */
import { formatNote, formatStatus, formatTime, padEnd, print, printJson, styleFor, who } from '../output.js'
import { clientFor, examples, globals } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

/** Registers `natter presence`. */
export function registerPresence (program: Command, ctx: Context): void {
  program
    .command('presence')
    .description('show the presence of your contacts and other peers seen')
    .addHelpText('after', examples(
      ['natter presence', 'who is online'],
      ['natter presence --json', 'as JSON: { own, peers: [...] }']
    ))
    .action(async (_options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const presence = await client.api.presence()
      if (globals(cmd).json === true) {
        printJson(ctx, presence)
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      const rows = [{ label: 'me', p: presence.own }, ...presence.peers.map(p => ({ label: who(p.peerId, p.name), p }))]
      const width = Math.max(...rows.map(r => r.label.length))
      for (const { label, p } of rows) {
        const since = p.updatedAt > 0 ? style.dim(` (since ${formatTime(p.updatedAt)})`) : ''
        print(ctx, `${padEnd(style.bold(label), width)}  ${padEnd(formatStatus(style, p.status), 7)}${formatNote(style, p.note)}${since}`)
      }
    })
}
