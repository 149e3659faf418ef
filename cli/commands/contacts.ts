/**
 * `natter contacts`: list, add (by peer id or invite), show, rename and
 * remove contacts. A contact's name works wherever a peer id does.
 *
 * @module
 */
import { padEnd, print, printJson, shortPeer, styleFor } from '../output.js'
import { withProgress } from '../progress.js'
import { clientFor, examples, globals } from '../shared.js'
import type { ContactView } from '../../node/api/types.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

function describe (c: ContactView): string {
  const flags = [c.verified ? 'verified' : '', c.blocked ? 'blocked' : ''].filter(f => f !== '')
  return `${c.name} (${c.peerId})${flags.length > 0 ? ` [${flags.join(', ')}]` : ''}`
}

/** Registers `natter contacts …`. */
export function registerContacts (program: Command, ctx: Context): void {
  const contacts = program
    .command('contacts')
    .description('manage contacts (names for peer ids)')
    .addHelpText('after', examples(
      ['natter contacts add bob natter:CiYAJ…', 'add bob from his invite (also joins the network through him)'],
      ['natter contacts add carol 12D3KooW…', 'add carol by peer id'],
      ['natter contacts', 'list contacts'],
      ['natter contacts rename bob bobby', 'rename'],
      ['natter contacts remove bobby', 'remove (history stays)']
    ))

  contacts
    .command('list', { isDefault: true })
    .alias('ls')
    .description('list contacts')
    .addHelpText('after', examples(['natter contacts list --json', 'as JSON']))
    .action(async (_options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { contacts: list } = await client.listContacts()
      if (globals(cmd).json === true) {
        printJson(ctx, { contacts: list })
        return
      }
      if (list.length === 0) {
        ctx.stderr.write('no contacts yet; add one with `natter contacts add <name> <peerId|invite>`\n')
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      const width = Math.max(...list.map(c => c.name.length))
      for (const c of list) {
        const flags = [c.verified ? style.green('verified') : '', c.blocked ? style.red('blocked') : ''].filter(f => f !== '').join(' ')
        print(ctx, `${padEnd(style.bold(c.name), width)}  ${c.peerId}${flags === '' ? '' : `  ${flags}`}`)
      }
    })

  contacts
    .command('add')
    .description('add a contact by peer id or invite')
    .argument('<name>', 'the name you will call them by')
    .argument('<peer>', 'their peer id, or an invite (natter:…) from `natter id`')
    .addHelpText('after', examples(
      ['natter contacts add bob "$(cat bob.invite)"', 'from an invite in a file'],
      ['natter contacts add carol 12D3KooW…', 'by peer id (found through the DHT)']
    ))
    .action(async (name: string, peer: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const added = await withProgress(ctx, `adding ${name}…`, client.addContact({ name, peer }))
      if (globals(cmd).json === true) {
        printJson(ctx, added)
        return
      }
      print(ctx, `added ${describe(added.contact)}`)
      if (added.bootstrap.length > 0) {
        ctx.stderr.write(added.connected
          ? `connected to ${name}; their addresses are kept as bootstrap peers\n`
          : `could not reach ${name} right now; their addresses are kept as bootstrap peers and retried\n`)
      }
    })

  contacts
    .command('show')
    .description('show one contact')
    .argument('<contact>', 'name or peer id')
    .addHelpText('after', examples(['natter contacts show bob', 'bob\'s peer id, addresses and flags'], ['natter contacts show bob --json', 'as JSON']))
    .action(async (key: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { contact } = await client.getContact(key)
      if (globals(cmd).json === true) {
        printJson(ctx, { contact })
        return
      }
      print(ctx,
        `name       ${contact.name}`,
        `peer id    ${contact.peerId}`,
        `added      ${new Date(contact.addedAt).toISOString()}`,
        `verified   ${contact.verified ? 'yes' : 'no'}`,
        `blocked    ${contact.blocked ? 'yes' : 'no'}`,
        ...contact.addresses.map((a, i) => `${i === 0 ? 'addresses' : '         '}  ${a}`))
    })

  contacts
    .command('rename')
    .description('rename a contact')
    .argument('<contact>', 'current name or peer id')
    .argument('<new-name>', 'the new name')
    .addHelpText('after', examples(['natter contacts rename bob "Bob Smith"', 'a longer name'], ['natter contacts rename 12D3KooW… carol', 'name a contact found by peer id']))
    .action(async (key: string, name: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { contact } = await client.renameContact(key, name)
      if (globals(cmd).json === true) {
        printJson(ctx, { contact })
        return
      }
      print(ctx, `renamed ${key} to ${contact.name} (${shortPeer(contact.peerId)})`)
    })

  contacts
    .command('remove')
    .alias('rm')
    .description('remove a contact (the conversation history stays)')
    .argument('<contact>', 'name or peer id')
    .addHelpText('after', examples(['natter contacts remove bob', 'forget the name (not the messages)']))
    .action(async (key: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { contact } = await client.removeContact(key)
      if (globals(cmd).json === true) {
        printJson(ctx, { contact })
        return
      }
      print(ctx, `removed ${describe(contact)}`)
    })
}
