/**
 * `natter history <contact|group>`: the latest messages of a conversation or
 * a group (with each sender's name and, for your own group messages, how
 * many members have them).
 *
 * @module
 */
import { InvalidArgumentError } from 'commander'
import { formatMessage, print, printJson, styleFor } from '../output.js'
import { clientFor, examples, globals, natterCommand, positiveInt } from '../shared.js'
import { resolveTarget } from '../target.js'
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
    .description('show the latest messages with a contact or in a group, oldest first')
    .argument('<contact>', 'contact name, peer id, or group (name, id, or group:<name>)')
    .option('-n, --limit <n>', 'how many messages (at most 1000)', positiveInt, 20)
    .option('--before <time>', 'only messages sent before this time (ms since the epoch, or an ISO date)', timestamp)
    .option('--no-mark-read', 'leave the messages unread (shown messages count as read otherwise; --json never marks)')
    .option('--group', '<contact> is a group (when a contact has the same name)')
    .option('--contact', '<contact> is a contact or peer id (when a group has the same name)')
    .addHelpText('after', examples(
      ['natter history bob', 'the last 20 messages with bob'],
      ['natter history bob --limit 100 --json', '100 messages as JSON'],
      ['natter history bob --before 2024-03-01', 'older messages'],
      ['natter history team', 'the last 20 messages of the group team'],
      ['natter history --group bob', 'the group bob, when a contact is called bob too']
    ))
    .action(async (key: string, options: { limit: number, before?: number, markRead: boolean, group?: boolean, contact?: boolean }, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const target = await resolveTarget(client, key, options, `${natterCommand(cmd)} history`)
      if (target.kind === 'group') {
        const limit = Math.min(options.limit, 1000)
        // the group API pages by message id: a time is applied to the latest 1000
        const reply = await client.api.groupHistory({ params: { group: target.group.id }, query: { limit: options.before == null ? limit : 1000 } })
        const messages = options.before == null ? reply.messages : reply.messages.filter(m => m.sentAt < options.before!).slice(-limit)
        if (globals(cmd).json === true) {
          printJson(ctx, { group: reply.group, messages })
          return
        }
        const { formatGroupMessageLines, groupLabel, inactiveNote } = await import('../group-view.js')
        const style = styleFor(ctx.stdout, ctx.env)
        const note = inactiveNote(reply.group)
        if (note != null) {
          ctx.stderr.write(note + '\n')
        }
        if (messages.length === 0) {
          ctx.stderr.write(`no messages in ${groupLabel(reply.group)} yet\n`)
          return
        }
        for (const m of messages) {
          print(ctx, formatGroupMessageLines(style, m).join('\n'))
        }
        const last = messages.at(-1)!
        if (options.markRead && messages.some(m => m.direction === 'in' && !m.read)) {
          await client.api.markGroupRead({ params: { group: reply.group.id }, body: { upTo: last.id } })
        }
        return
      }
      const history = await client.api.history({ query: { peer: target.peerId, limit: Math.min(options.limit, 1000), before: options.before } })
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
