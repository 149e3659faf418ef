/**
 * `natter send <contact|peerId|group> [text…]`: sends one message; the text
 * comes from stdin when left out. A message to a contact whose identity key
 * changed is held: a loud warning, and exit code 8. A group's message goes
 * to every member; a name that is both a contact and a group is refused
 * until `--group` / `group:<name>` or `--contact` says which.
 *
 * @module
 */
import { ApiError, DeliveryFailedError, UsageError } from '../errors.js'
import { groupLabel } from '../group-view.js'
import { heldError, keyChangeWarning } from '../key-change.js'
import { print, printJson, shortPeer, styleFor } from '../output.js'
import { withProgress } from '../progress.js'
import { clientFor, examples, globals, natterCommand, readAll } from '../shared.js'
import { parseTarget, resolveTarget } from '../target.js'
import type { KeyChange } from '../key-change.js'
import type { ApiErrorName } from '../../node/api/errors.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

const DELIVERY_FAILURES: ReadonlySet<string> = new Set<ApiErrorName>(['PeerNotFoundError', 'PeerUnreachableError', 'NoPeersError', 'DeliveryTimeoutError', 'DeliveryRefusedError', 'MailboxRefusedError', 'NoMailboxError'])

/** Registers `natter send`. */
export function registerSend (program: Command, ctx: Context): void {
  program
    .command('send')
    .description('send a message and wait until it is delivered')
    .argument('<to>', 'contact name, peer id, or group (name, id, or group:<name>)')
    .argument('[text...]', 'the message (read from stdin when left out)')
    .option('--no-wait', 'return as soon as the message is stored, without waiting for delivery')
    .option('--group', '<to> is a group (when a contact has the same name)')
    .option('--contact', '<to> is a contact or peer id (when a group has the same name)')
    .addHelpText('after', examples(
      ['natter send bob "lunch at noon?"', 'send and wait for the acknowledgement'],
      ['natter send bob lunch at noon', 'the words after the name are the message'],
      ['echo "build finished" | natter send bob', 'the text from stdin'],
      ['natter send 12D3KooW… hi --no-wait', 'do not wait for delivery'],
      ['natter send team "hi all"', 'to the group team (every member)'],
      ['natter send --group bob hi', 'to the group bob, when a contact is called bob too'],
      ['natter send group:bob hi', 'the same']
    ) + `
Exit code 5: not delivered yet (it stays queued and is retried). Exit code 8:
held, because the contact's identity key changed; see \`natter contacts accept-key\`.
A group's message returns once stored and sent to the group; \`natter chat\`
and \`natter history\` show how many members have it ("✓ 2/3"). Exit code 10:
you are no longer a member of the group. Exit code 2: the name is both a
contact and a group (say which with --group or --contact).
`)
    .action(async (to: string, words: string[], options: { wait: boolean, group?: boolean, contact?: boolean }, cmd: Command) => {
      const g = globals(cmd)
      parseTarget(to, options)
      let text = words.join(' ')
      if (text === '') {
        if (ctx.stdin.isTTY === true) {
          ctx.stderr.write('type the message, then Ctrl-D:\n')
        }
        text = (await readAll(ctx)).replace(/\r?\n$/, '')
      }
      if (text.trim() === '') {
        throw new UsageError('no message text (give it after the name, or on stdin)')
      }
      const client = await clientFor(ctx, cmd)
      const dest = await resolveTarget(client, to, options, `${natterCommand(cmd)} send`)
      if (dest.kind === 'group') {
        const { message } = await withProgress(ctx, `sending to ${groupLabel(dest.group)}…`, client.api.sendGroup({ params: { group: dest.group.id }, body: { text } }))
        if (g.json === true) {
          printJson(ctx, { message })
          return
        }
        const n = message.recipients ?? 0
        print(ctx, `sent to ${groupLabel(dest.group)} (${n} member${n === 1 ? '' : 's'}, id ${message.id})`)
        return
      }
      const wait = options.wait ? 'delivered' : 'queued'
      const held = (change: KeyChange & { messageId?: string }): Error => {
        ctx.stderr.write(keyChangeWarning(styleFor(ctx.stderr, ctx.env), change, natterCommand(cmd)).join('\n') + '\n')
        return heldError(change, { natter: natterCommand(cmd) })
      }
      let reply
      try {
        reply = await withProgress(ctx, `sending to ${to}…`, client.api.send({ body: { to, text, wait } }))
      } catch (err) {
        const d = err instanceof ApiError ? err.details : undefined
        if (err instanceof ApiError && err.name === 'IdentityKeyChangedError' && d?.contact != null && d.peerId != null && d.newPeerId != null) {
          throw held({ contact: d.contact, peerId: d.peerId, newPeerId: d.newPeerId, messageId: d.messageId })
        }
        // the message was stored before delivery failed: say so, and exit with the delivery code
        if (err instanceof ApiError && DELIVERY_FAILURES.has(err.name)) {
          throw new DeliveryFailedError(`not delivered to ${to} yet: ${err.message}${err.name === 'DeliveryRefusedError' ? '' : ' (it stays queued and natter keeps trying)'}`, { cause: err })
        }
        throw err
      }
      const { message } = reply
      if (reply.held != null) {
        throw held({ ...reply.held, messageId: message.id })
      }
      if (g.json === true) {
        printJson(ctx, { message })
        return
      }
      const target = to === message.peer ? shortPeer(message.peer) : to
      print(ctx, message.state === 'delivered' || message.state === 'read'
        ? `delivered to ${target} (id ${message.id})`
        : `${message.state} for ${target} (id ${message.id})`)
    })
}
