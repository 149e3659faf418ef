/**
 * `natter send <contact|peerId> [text…]`: sends one message; the text comes
 * from stdin when left out. A message to a contact whose identity key
 * changed is held: a loud warning, and exit code 8.
 *
 * @module
 */
import { ApiError, DeliveryFailedError, UsageError } from '../errors.js'
import { heldError, keyChangeWarning } from '../key-change.js'
import { print, printJson, shortPeer, styleFor } from '../output.js'
import { withProgress } from '../progress.js'
import { clientFor, examples, globals, natterCommand, readAll } from '../shared.js'
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
    .argument('<to>', 'contact name or peer id')
    .argument('[text...]', 'the message (read from stdin when left out)')
    .option('--no-wait', 'return as soon as the message is stored, without waiting for delivery')
    .addHelpText('after', examples(
      ['natter send bob "lunch at noon?"', 'send and wait for the acknowledgement'],
      ['natter send bob lunch at noon', 'the words after the name are the message'],
      ['echo "build finished" | natter send bob', 'the text from stdin'],
      ['natter send 12D3KooW… hi --no-wait', 'do not wait for delivery']
    ) + `
Exit code 5: not delivered yet (it stays queued and is retried). Exit code 8:
held, because the contact's identity key changed; see \`natter contacts accept-key\`.
`)
    .action(async (to: string, words: string[], options: { wait: boolean }, cmd: Command) => {
      const g = globals(cmd)
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
