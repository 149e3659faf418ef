/**
 * `natter verify <contact> [--mark|--unmark]`: the safety number you and a
 * contact compare out of band (read aloud, or scan the QR code) to know that
 * no one sits between you; then mark the contact verified.
 *
 * @module
 */
import { UsageError } from '../errors.js'
import { print, printJson, shellQuote, styleFor, who } from '../output.js'
import { clientFor, examples, globals, natterCommand } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

interface VerifyOptions {
  mark?: boolean
  unmark?: boolean
  pending?: boolean
  qr: boolean
}

async function qr (text: string): Promise<string> {
  // loaded only when a code is drawn (a quick start for everything else)
  const { default: qrcode } = await import('qrcode-terminal')
  return new Promise(resolve => { qrcode.generate(text, { small: true }, resolve) })
}

/** Registers `natter verify`. */
export function registerVerify (program: Command, ctx: Context): void {
  program
    .command('verify')
    .description('show the safety number to compare with a contact, and mark them verified once it matches')
    .argument('<contact>', 'contact name or peer id')
    .option('--mark', 'mark the contact verified (after comparing the numbers)')
    .option('--unmark', 'mark the contact not verified')
    .option('--pending', 'the number for the contact\'s new identity key, before `contacts accept-key`')
    .option('--no-qr', 'leave out the QR code')
    .addHelpText('after', examples(
      ['natter verify bob', 'the number; bob runs `natter verify <you>` and you compare'],
      ['natter verify bob --mark', 'the numbers matched: bob is verified'],
      ['natter verify bob --pending', 'bob\'s identity key changed: the number for the new key'],
      ['natter verify bob --json | jq -r .digits', 'just the 60 digits']
    ) + `
The safety number is the same on both sides when each of you has the other's
real identity key. Compare it in person or on a call you trust (not over natter
itself); if it differs, someone may be impersonating one of you.
`)
    .action(async (key: string, options: VerifyOptions, cmd: Command) => {
      if (options.mark === true && options.unmark === true) {
        throw new UsageError('give --mark or --unmark, not both')
      }
      if (options.pending === true && (options.mark === true || options.unmark === true)) {
        throw new UsageError('--pending shows a number only; accept the new key with `natter contacts accept-key` first, then --mark')
      }
      const g = globals(cmd)
      const client = await clientFor(ctx, cmd)
      const natter = natterCommand(cmd)

      if (options.mark === true || options.unmark === true) {
        const { contact } = await client.api.verifyContact({ params: { contact: key }, body: { verified: options.mark === true } })
        if (g.json === true) {
          printJson(ctx, { contact })
          return
        }
        const name = who(contact.peerId, contact.name)
        print(ctx, contact.verified ? `${name} is verified` : `${name} is no longer verified`)
        if (contact.keyChanged) {
          ctx.stderr.write(`note: ${name}'s identity key changed since; this marks the old key (see \`${natter} verify ${shellQuote(contact.name)} --pending\`)\n`)
        }
        return
      }

      const number = await client.api.safetyNumber({ params: { contact: key }, query: { pending: options.pending === true ? 'true' : undefined } })
      if (g.json === true) {
        printJson(ctx, number)
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      const label = number.name == null ? number.peerId : who(number.peerId, number.name)
      const rows = [0, 4, 8].map(i => number.groups.slice(i, i + 4).join('  '))
      print(ctx,
        `${style.bold(`Safety number with ${label}`)}${number.pending ? style.red(' (their NEW key, not accepted yet)') : ''}`,
        style.dim(`  ${number.peerId}`),
        '',
        ...rows.map(r => `    ${style.bold(r)}`))
      if (options.qr) {
        print(ctx, '', await qr(number.qr))
      }
      const them = number.name == null ? 'they' : label
      const q = shellQuote(number.name ?? number.peerId)
      if (number.pending) {
        print(ctx,
          `Compare it with the number ${them} see${number.name == null ? '' : 's'} with \`natter verify <your name>\`, in person or on a call.`,
          `If it is equal, accept the new key: ${natter} contacts accept-key ${q}`,
          `If not, keep the old one: ${natter} contacts reject-key ${q}`)
        return
      }
      print(ctx,
        `${number.name == null ? `${label} is not a contact` : number.verified ? style.green(`${label} is verified`) : `${label} is not verified yet`}.`,
        `Compare this with the number ${them} see${number.name == null ? '' : 's'} with \`natter verify <your name>\`, in person or on a call.`,
        number.name == null
          ? 'If it is equal, add them with `natter contacts add <name> <peer id>`, then mark them verified.'
          : `If it is equal, run: ${natter} verify ${q} --mark`)
    })
}
