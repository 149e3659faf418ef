/**
 * `natter inbox`: your conversations and groups, the most recent first, with
 * unread counts, the last message and the peer's presence, including
 * accepted strangers who are not contacts. `natter chat <name>` opens one (and marks
 * it read); `natter chat` with no name opens the list interactively.
 *
 * @module
 */
import { print, printJson, styleFor } from '../output.js'
import { clientFor, examples, globals, natterCommand } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

/** Registers `natter inbox`. */
export function registerInbox (program: Command, ctx: Context): void {
  program
    .command('inbox')
    .description('your conversations and groups: unread counts, last message, presence')
    .addHelpText('after', examples(
      ['natter inbox', 'who wrote, what is unread (groups are marked #)'],
      ['natter inbox --json', 'as JSON: { conversations: [...], groups: [...], requests }'],
      ['natter chat', 'pick a conversation interactively']
    ) + `
Messages count as read once \`natter chat\` or \`natter history\` has shown
them (then the sender learns it, if you turned read receipts on with
\`natter config set read-receipts on\`). Message requests from strangers are
not listed here: see \`natter requests\`.
`)
    .action(async (_options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const inbox = await client.api.inbox()
      if (globals(cmd).json === true) {
        printJson(ctx, inbox)
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      if (inbox.conversations.length === 0 && inbox.groups.length === 0) {
        ctx.stderr.write(`no conversations yet; add a contact with \`${natterCommand(cmd)} contacts add <invite>\`\n`)
      }
      const columns = ctx.stdout.columns ?? 100
      // loaded here: string-width's tables are only needed to lay lines out
      const [{ formatInboxLine, truncate }, { formatGroupInboxLine, inboxEntries }, { default: stringWidth }] = await Promise.all([
        import('../inbox-view.js'), import('../group-view.js'), import('string-width')
      ])
      for (const [i, e] of inboxEntries(inbox).entries()) {
        print(ctx, e.kind === 'peer'
          ? formatInboxLine(style, e.conversation, { index: i + 1, columns })
          : formatGroupInboxLine(style, e.group, { index: i + 1, columns, truncate, stringWidth }))
      }
      if (inbox.requests > 0) {
        ctx.stderr.write(`${inbox.requests} message request${inbox.requests === 1 ? '' : 's'} from strangers: \`${natterCommand(cmd)} requests\`\n`)
      }
    })
}
