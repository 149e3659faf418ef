/**
 * `natter send <contact|peerId> [text…]`: sends one message; the text comes
 * from stdin when left out.
 *
 * @module
 */
import { ApiError, DeliveryFailedError, UsageError } from '../errors.js'
import { print, printJson, shortPeer } from '../output.js'
import { withProgress } from '../progress.js'
import { clientFor, examples, globals, readAll } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

const DELIVERY_FAILURES = new Set(['PeerNotFoundError', 'PeerUnreachableError', 'DeliveryTimeoutError', 'DeliveryRefusedError', 'MailboxRefusedError', 'NoMailboxError'])

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
    ))
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
      let message
      try {
        ({ message } = await withProgress(ctx, `sending to ${to}…`, client.send({ to, text, wait })))
      } catch (err) {
        // the message was stored before delivery failed: say so, and exit with the delivery code
        if (err instanceof ApiError && DELIVERY_FAILURES.has(err.name)) {
          throw new DeliveryFailedError(`not delivered to ${to} yet: ${err.message}${err.name === 'DeliveryRefusedError' ? '' : ' (it stays queued and natter keeps trying)'}`, { cause: err })
        }
        throw err
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
