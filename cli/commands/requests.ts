/**
 * `natter requests`: conversations opened by people who are not contacts;
 * accept or decline them.
 *
 * @module
 */
import { formatTime, peerText, print, printJson, shortPeer, styleFor } from '../output.js'
import { clientFor, examples, globals, rejectStrayWord } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

/** Registers `natter requests …`. */
export function registerRequests (program: Command, ctx: Context): void {
  const requests = program
    .command('requests')
    .description('message requests from people who are not contacts')
    .addHelpText('after', examples(
      ['natter requests', 'list pending requests'],
      ['natter requests accept 12D3KooW…', 'accept: the conversation joins your inbox'],
      ['natter requests decline 12D3KooW… --block', 'decline, delete their messages and block them']
    ))

  requests
    .command('list', { isDefault: true })
    .allowExcessArguments()
    .description('list pending requests')
    .addHelpText('after', examples(['natter requests list', 'who wrote to you'], ['natter requests --json', 'as JSON, with the first and last message']))
    .action(async (_options: unknown, cmd: Command) => {
      rejectStrayWord(cmd)
      const client = await clientFor(ctx, cmd)
      const { requests: list } = await client.api.requests()
      if (globals(cmd).json === true) {
        printJson(ctx, { requests: list })
        return
      }
      if (list.length === 0) {
        ctx.stderr.write('no pending requests\n')
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      for (const r of list) {
        print(ctx, `${style.bold(peerText(style, r.peer))}  ${r.count} message${r.count === 1 ? '' : 's'}, latest ${formatTime(r.last.sentAt)}: ${peerText(style, r.last.text)}`)
      }
    })

  requests
    .command('accept')
    .description('accept a request')
    .argument('<peer>', 'the peer id')
    .addHelpText('after', examples(['natter requests accept 12D3KooW…', 'then `natter contacts add <name> 12D3KooW…` to name them']))
    .action(async (peer: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { peerId } = await client.api.acceptRequest({ params: { peer } })
      if (globals(cmd).json === true) {
        printJson(ctx, { peerId, accepted: true })
        return
      }
      print(ctx, `accepted ${shortPeer(peerId)}; add them as a contact with \`natter contacts add <name> ${peerId}\``)
    })

  requests
    .command('decline')
    .description('decline a request and delete its messages')
    .argument('<peer>', 'the peer id')
    .option('--block', 'also block the peer')
    .addHelpText('after', examples(['natter requests decline 12D3KooW…', 'delete their messages'], ['natter requests decline 12D3KooW… --block', 'and never hear from them again']))
    .action(async (peer: string, options: { block?: boolean }, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { peerId } = await client.api.declineRequest({ params: { peer }, body: { block: options.block === true } })
      if (globals(cmd).json === true) {
        printJson(ctx, { peerId, declined: true, blocked: options.block === true })
        return
      }
      print(ctx, `declined ${shortPeer(peerId)}${options.block === true ? ' and blocked them' : ''}`)
    })
}
