/**
 * `natter history <contact>`: the latest messages of a conversation.
 *
 * @module
 */
import { InvalidArgumentError } from 'commander'
import { formatMessage, print, printJson, styleFor } from '../output.js'
import { clientFor, examples, globals, positiveInt } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

function timestamp (value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(n)) {
    throw new InvalidArgumentError('expected ms since the epoch or an ISO date')
  }
  return n
}

/** Registers `natter history`. */
export function registerHistory (program: Command, ctx: Context): void {
  program
    .command('history')
    .description('show the latest messages with a contact, oldest first')
    .argument('<contact>', 'contact name or peer id')
    .option('-n, --limit <n>', 'how many messages (at most 1000)', positiveInt, 20)
    .option('--before <time>', 'only messages sent before this time (ms since the epoch, or an ISO date)', timestamp)
    .option('--no-mark-read', 'leave the messages unread (shown messages count as read otherwise; --json never marks)')
    .addHelpText('after', examples(
      ['natter history bob', 'the last 20 messages with bob'],
      ['natter history bob --limit 100 --json', '100 messages as JSON'],
      ['natter history bob --before 2024-03-01', 'older messages']
    ))
    .action(async (key: string, options: { limit: number, before?: number, markRead: boolean }, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const history = await client.api.history({ query: { peer: key, limit: Math.min(options.limit, 1000), before: options.before } })
      if (globals(cmd).json === true) {
        printJson(ctx, history)
        return
      }
      if (history.messages.length === 0) {
        ctx.stderr.write(`no messages with ${history.name ?? history.peer} yet\n`)
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      for (const m of history.messages) {
        print(ctx, formatMessage(style, m, history.name))
      }
      // shown to a person: the messages are read now (the sender learns it when read receipts are on)
      if (options.markRead && history.messages.some(m => m.direction === 'in' && m.state === 'received')) {
        await client.api.markRead({ body: { peer: history.peer } })
      }
    })
}
