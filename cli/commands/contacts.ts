/**
 * `natter contacts`: list, add (by peer id or invite), show, rename and
 * remove contacts, and accept or reject a contact's new identity key. A
 * contact's name works wherever a peer id does.
 *
 * @module
 */
import { keyChangeWarning } from '../key-change.js'
import { padEnd, print, printJson, shellQuote, shortPeer, styleFor } from '../output.js'
import { safeText } from '../safe-text.js'
import { UsageError } from '../errors.js'
import { withProgress } from '../progress.js'
import { clientFor, examples, globals, natterCommand, rejectStrayWord } from '../shared.js'
import type { ContactView } from '../../node/api/types.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

function describe (c: ContactView): string {
  const flags = [c.keyChanged ? 'KEY CHANGED' : '', c.verified ? 'verified' : '', c.blocked ? 'blocked' : ''].filter(f => f !== '')
  return `${safeText(c.name)} (${c.peerId})${flags.length > 0 ? ` [${flags.join(', ')}]` : ''}`
}

/** The loud warning for a contact whose key changed, on stderr. */
function warnKeyChanged (ctx: Context, cmd: Command, c: ContactView): void {
  if (c.pendingPeerId != null) {
    const lines = keyChangeWarning(styleFor(ctx.stderr, ctx.env), { contact: c.name, peerId: c.peerId, newPeerId: c.pendingPeerId }, natterCommand(cmd))
    ctx.stderr.write(lines.join('\n') + '\n')
  }
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
      ['natter contacts remove bobby', 'remove (history stays)'],
      ['natter contacts accept-key bob', 'bob\'s identity key changed and you checked the new one'],
      ['natter contacts reject-key bob', 'keep bob\'s old key']
    ))

  contacts
    .command('list', { isDefault: true })
    .allowExcessArguments()
    .alias('ls')
    .description('list contacts')
    .addHelpText('after', examples(['natter contacts list --json', 'as JSON']))
    .action(async (_options: unknown, cmd: Command) => {
      rejectStrayWord(cmd)
      const client = await clientFor(ctx, cmd)
      const { contacts: list } = await client.api.listContacts()
      if (globals(cmd).json === true) {
        printJson(ctx, { contacts: list })
        return
      }
      if (list.length === 0) {
        ctx.stderr.write('no contacts yet; add one with `natter contacts add <invite>` (or `natter contacts add <name> <peer id>`)\n')
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      const width = Math.max(...list.map(c => [...safeText(c.name)].length))
      for (const c of list) {
        const flags = [
          c.keyChanged ? style.red(style.bold('KEY CHANGED')) : '',
          c.verified ? style.green('verified') : '',
          c.blocked ? style.red('blocked') : ''
        ].filter(f => f !== '').join(' ')
        print(ctx, `${padEnd(style.bold(safeText(c.name)), width)}  ${c.peerId}${flags === '' ? '' : `  ${flags}`}`)
      }
      const changed = list.filter(c => c.keyChanged)
      if (changed.length > 0) {
        const natter = natterCommand(cmd)
        ctx.stderr.write(changed.map(c => `${safeText(c.name)}: identity key changed to ${c.pendingPeerId ?? '?'}; messages to them are held until \`${natter} contacts accept-key ${shellQuote(c.name)}\` or \`reject-key\` (compare safety numbers first: \`${natter} verify ${shellQuote(c.name)} --pending\`)\n`).join(''))
      }
    })

  contacts
    .command('add')
    .description('add a contact by peer id or invite')
    .argument('<name>', 'the name you will call them by (leave it out to take the name their invite suggests)')
    .argument('[peer]', 'their peer id, or an invite (natter:…) from `natter id`')
    .addHelpText('after', examples(
      ['natter contacts add natter:CiYAJ…', 'from an invite, under the name it suggests'],
      ['natter contacts add bob "$(cat bob.invite)"', 'from an invite in a file, named bob'],
      ['natter contacts add carol 12D3KooW…', 'by peer id (found through the DHT)']
    ) + `
A name that is already a contact with another peer id is not replaced: that
is an identity key change. A loud warning says so, messages to the contact are
held, and \`natter contacts accept-key <name>\` or \`reject-key <name>\` decides.
`)
    .action(async (first: string, second: string | undefined, _options: unknown, cmd: Command) => {
      // `contacts add <invite>`: the invite names them
      const [name, peer] = second == null ? [undefined, first] : [first, second]
      if (name == null && !peer.trim().startsWith('natter:')) {
        throw new UsageError('give a name and a peer id (`natter contacts add <name> <peer id>`), or an invite (natter:…) that suggests a name')
      }
      const client = await clientFor(ctx, cmd)
      const added = await withProgress(ctx, `adding ${name == null ? 'contact' : safeText(name)}…`, client.api.addContact({ body: name == null ? { peer } : { name, peer } }))
      if (added.contact.keyChanged) {
        // not added: the name is a contact with another key; the new one waits for the user's decision
        warnKeyChanged(ctx, cmd, added.contact)
      }
      if (globals(cmd).json === true) {
        printJson(ctx, added)
        return
      }
      if (added.contact.keyChanged) {
        print(ctx, `${safeText(added.contact.name)} was not replaced: the new key waits for \`contacts accept-key\` or \`contacts reject-key\``)
        return
      }
      print(ctx, `added ${describe(added.contact)}`)
      if (added.bootstrap.length > 0) {
        ctx.stderr.write(added.connected
          ? `connected to ${safeText(added.contact.name)}; their addresses are kept as bootstrap peers\n`
          : `could not reach ${safeText(added.contact.name)} right now; their addresses are kept as bootstrap peers and retried\n`)
      }
    })

  contacts
    .command('show')
    .description('show one contact')
    .argument('<contact>', 'name or peer id')
    .addHelpText('after', examples(['natter contacts show bob', 'bob\'s peer id, addresses and flags'], ['natter contacts show bob --json', 'as JSON']))
    .action(async (key: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { contact } = await client.api.getContact({ params: { contact: key } })
      if (globals(cmd).json === true) {
        printJson(ctx, { contact })
        return
      }
      print(ctx,
        `name       ${safeText(contact.name)}`,
        `peer id    ${contact.peerId}`,
        `added      ${new Date(contact.addedAt).toISOString()}`,
        `verified   ${contact.verified ? 'yes' : 'no'} (\`${natterCommand(cmd)} verify ${shellQuote(contact.name)}\`)`,
        `blocked    ${contact.blocked ? 'yes' : 'no'}`,
        ...contact.addresses.map((a, i) => `${i === 0 ? 'addresses' : '         '}  ${a}`))
      if (contact.keyChanged) {
        print(ctx, `new key    ${contact.pendingPeerId ?? '?'} (KEY CHANGED: not accepted yet)`)
        warnKeyChanged(ctx, cmd, contact)
      }
    })

  contacts
    .command('rename')
    .description('rename a contact')
    .argument('<contact>', 'current name or peer id')
    .argument('<new-name>', 'the new name')
    .addHelpText('after', examples(['natter contacts rename bob "Bob Smith"', 'a longer name'], ['natter contacts rename 12D3KooW… carol', 'name a contact found by peer id']))
    .action(async (key: string, name: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { contact } = await client.api.renameContact({ params: { contact: key }, body: { name } })
      if (globals(cmd).json === true) {
        printJson(ctx, { contact })
        return
      }
      print(ctx, `renamed ${safeText(key)} to ${safeText(contact.name)} (${shortPeer(contact.peerId)})`)
    })

  contacts
    .command('remove')
    .alias('rm')
    .description('remove a contact (the conversation history stays)')
    .argument('<contact>', 'name or peer id')
    .addHelpText('after', examples(['natter contacts remove bob', 'forget the name (not the messages)']))
    .action(async (key: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { contact } = await client.api.removeContact({ params: { contact: key } })
      if (globals(cmd).json === true) {
        printJson(ctx, { contact })
        return
      }
      print(ctx, `removed ${describe(contact)}`)
    })

  contacts
    .command('accept-key')
    .description('accept a contact\'s new identity key: it becomes the contact (unverified), and held messages are sent to it')
    .argument('<contact>', 'name or (current) peer id')
    .addHelpText('after', examples(
      ['natter verify bob --pending', 'first: compare the new safety number with bob'],
      ['natter contacts accept-key bob', 'then trust the new key'],
      ['natter contacts accept-key bob --json', 'as JSON: the contact and its previous peer id']
    ))
    .action(async (key: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const accepted = await client.api.acceptKey({ params: { contact: key } })
      if (globals(cmd).json === true) {
        printJson(ctx, accepted)
        return
      }
      const { contact } = accepted
      print(ctx, `${safeText(contact.name)} is now ${contact.peerId} (was ${accepted.previousPeerId}); held messages are sent to the new key`)
      ctx.stderr.write(`${safeText(contact.name)} is not verified: compare safety numbers with \`${natterCommand(cmd)} verify ${shellQuote(contact.name)}\`\n`)
    })

  contacts
    .command('reject-key')
    .description('reject a contact\'s new identity key: the contact keeps its key, and held messages go to it')
    .argument('<contact>', 'name or peer id')
    .addHelpText('after', examples(
      ['natter contacts reject-key bob', 'the new key was not bob\'s'],
      ['natter contacts reject-key bob --json', 'as JSON']
    ))
    .action(async (key: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { contact } = await client.api.rejectKey({ params: { contact: key } })
      if (globals(cmd).json === true) {
        printJson(ctx, { contact })
        return
      }
      print(ctx, `kept ${safeText(contact.name)}'s key ${contact.peerId}; the new key was dropped and held messages go out to ${safeText(contact.name)}`)
    })
}
