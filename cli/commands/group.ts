/**
 * `natter group …`: group conversations. Create a group with contacts,
 * add and remove members (admins), leave, rename (admins), list your groups
 * and show one (members, their presence and roles). Send and read with
 * `natter send`, `natter chat` and `natter history`, which take a group's
 * name (or `group:<name>` / `--group` where a contact has the same name).
 *
 * A group is named by its name (when unique), its id, or the start of its
 * id (6 characters or more). Group names and the names of members who are
 * not your contacts come from peers: they are shown escaped, and such a
 * member is marked `~name`.
 *
 * @module
 */
import { UsageError } from '../errors.js'
import { describeChange, formatMemberLine, groupLabel, groupRef, inactiveNote, memberSummary } from '../group-view.js'
import { formatTime, padEnd, print, printJson, shellQuote, styleFor } from '../output.js'
import { withProgress } from '../progress.js'
import { safeText } from '../safe-text.js'
import { clientFor, examples, globals, natterCommand, rejectStrayWord } from '../shared.js'
import type { Context } from '../context.js'
import type { GroupView } from '../../node/api/types.js'
import type { Command } from 'commander'

const PREFIX = 'group:'

/** A group argument: `team`, `group:team`, an id or id prefix. */
function groupArg (word: string): string {
  const key = word.startsWith(PREFIX) ? word.slice(PREFIX.length) : word
  if (key.trim() === '') {
    throw new UsageError('give a group: its name, its id, or the start of its id')
  }
  return key
}

/** The lines of `natter group show`. */
function showLines (ctx: Context, g: GroupView): string[] {
  const style = styleFor(ctx.stdout, ctx.env)
  const width = Math.min(28, Math.max(8, ...g.members.map(m => m.self ? 3 : [...safeText(m.name)].length + (m.contact ? 0 : 1))))
  const note = inactiveNote(g)
  return [
    `${style.bold(groupLabel(g))}  ${style.dim(g.id)}`,
    `created ${formatTime(g.createdAt)} · you are ${g.role === 'admin' ? 'an admin' : 'a member'}${g.unread > 0 ? ` · ${g.unread} unread` : ''}`,
    ...(note == null ? [] : [style.yellow(note)]),
    `${g.members.length} member${g.members.length === 1 ? '' : 's'}:`,
    ...g.members.map(m => formatMemberLine(style, m, width))
  ]
}

/** Registers `natter group …`. */
export function registerGroup (program: Command, ctx: Context): void {
  const group = program
    .command('group')
    .alias('groups')
    .description('group conversations: create, add and remove members, leave, rename, list, show')
    .addHelpText('after', examples(
      ['natter group create team bob carol', 'a group with bob and carol (you are its admin)'],
      ['natter group', 'your groups, with unread counts'],
      ['natter group show team', 'members, their presence and roles'],
      ['natter group add team dave', 'add a contact (admins)'],
      ['natter group remove team carol', 'remove a member: they receive nothing sent afterwards (admins)'],
      ['natter group rename team "team 2"', 'rename (admins)'],
      ['natter group leave team', 'leave; the history stays readable'],
      ['natter send team "hi all"', 'send to the group'],
      ['natter chat team', 'chat in the group'],
      ['natter send --group bob hi', 'the group "bob", when a contact is called bob too (or: natter send group:bob hi)']
    ) + `
A group is named by its name (when no other group has it), its id, or the
first 6 or more characters of its id. Invitations go to contacts only: a
contact who adds you to a group brings you in at once (leave with
\`natter group leave\`). Members who are not your contacts are shown as
~name with their peer id; they cannot message you directly through the group.
`)

  group
    .command('list', { isDefault: true })
    .allowExcessArguments()
    .alias('ls')
    .description('your groups, the most recent activity first')
    .addHelpText('after', examples(['natter group list --json', 'as JSON: { groups: [...] }']))
    .action(async (_options: unknown, cmd: Command) => {
      rejectStrayWord(cmd)
      const client = await clientFor(ctx, cmd)
      const { groups } = await client.api.listGroups()
      if (globals(cmd).json === true) {
        printJson(ctx, { groups })
        return
      }
      if (groups.length === 0) {
        ctx.stderr.write(`no groups yet; create one with \`${natterCommand(cmd)} group create <name> [contact…]\`\n`)
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      const width = Math.min(30, Math.max(...groups.map(g => [...groupLabel(g)].length)))
      for (const g of groups) {
        const state = g.state === 'active' ? `${g.members.length} member${g.members.length === 1 ? '' : 's'}` : style.yellow(g.state)
        const unread = g.unread > 0 ? style.bold(style.yellow(`${g.unread} new`)) : ''
        print(ctx, `${padEnd(style.bold(groupLabel(g)), width)}  ${style.dim(g.id.slice(0, 12))}  ${padEnd(state, 11)}  ${padEnd(g.role, 6)}  ${unread}`.trimEnd())
      }
    })

  group
    .command('show')
    .alias('info')
    .description('one group: members, their presence and roles')
    .argument('<group>', 'group name, id or id prefix')
    .addHelpText('after', examples(['natter group show team', 'members of team'], ['natter group show b4fq2x --json', 'by id prefix, as JSON: { group }']))
    .action(async (key: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { group: g } = await client.api.getGroup({ params: { group: groupArg(key) } })
      if (globals(cmd).json === true) {
        printJson(ctx, { group: g })
        return
      }
      print(ctx, ...showLines(ctx, g))
    })

  group
    .command('create')
    .description('create a group with you as its admin, and add contacts to it')
    .argument('<name>', 'the group\'s name (everyone in it sees it)')
    .argument('[contacts...]', 'contacts to add (names or peer ids)')
    .addHelpText('after', examples(
      ['natter group create team bob carol', 'team, with bob and carol'],
      ['natter group create "book club"', 'an empty group; add people later with `natter group add`']
    ) + `
Only contacts can be added: each gets the invitation over your encrypted
channel with them and is in the group at once.
`)
    .action(async (name: string, members: string[], _options: unknown, cmd: Command) => {
      if (name.trim() === '') {
        throw new UsageError('the group name must not be empty')
      }
      if (name.startsWith(PREFIX)) {
        throw new UsageError(`a group name cannot start with "${PREFIX}" (that prefix is how commands name a group)`)
      }
      const client = await clientFor(ctx, cmd)
      const { group: g } = await withProgress(ctx, `creating ${name}…`, client.api.createGroup({ body: { name, members } }))
      if (globals(cmd).json === true) {
        printJson(ctx, { group: g })
        return
      }
      print(ctx, `created ${groupLabel(g)} (${g.id}); members: ${memberSummary(g)}`)
      ctx.stderr.write(`write to it with \`${natterCommand(cmd)} send ${shellQuote(g.name)} <text>\` or \`${natterCommand(cmd)} chat ${shellQuote(g.name)}\`\n`)
    })

  group
    .command('add')
    .description('add contacts to a group (admins)')
    .argument('<group>', 'group name, id or id prefix')
    .argument('<contacts...>', 'contacts to add (names or peer ids)')
    .addHelpText('after', examples(['natter group add team dave', 'add dave'], ['natter group add team dave erin', 'add two']) + `
New members read only what is sent after they join.
`)
    .action(async (key: string, members: string[], _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      let g: GroupView | undefined
      for (const member of members) {
        g = (await withProgress(ctx, `adding ${member}…`, client.api.addGroupMember({ params: { group: groupArg(key) }, body: { member } }))).group
        key = g.id
      }
      if (globals(cmd).json === true) {
        printJson(ctx, { group: g })
        return
      }
      print(ctx, `${groupLabel(g!)}: added ${members.map(m => safeText(m)).join(', ')}; members: ${memberSummary(g!)}`)
    })

  group
    .command('remove')
    .alias('rm')
    .description('remove a member from a group (admins); they receive nothing sent afterwards')
    .argument('<group>', 'group name, id or id prefix')
    .argument('<member>', 'the member: contact name, peer id, or the name they gave in the group')
    .addHelpText('after', examples(['natter group remove team carol', 'remove carol']))
    .action(async (key: string, member: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { group: g } = await withProgress(ctx, `removing ${member}…`, client.api.removeGroupMember({ params: { group: groupArg(key), member } }))
      if (globals(cmd).json === true) {
        printJson(ctx, { group: g })
        return
      }
      print(ctx, `${groupLabel(g)}: removed ${safeText(member)}; members: ${memberSummary(g)}`)
    })

  group
    .command('leave')
    .description('leave a group; its history stays readable')
    .argument('<group>', 'group name, id or id prefix')
    .addHelpText('after', examples(['natter group leave team', 'leave team']))
    .action(async (key: string, _options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { group: g } = await withProgress(ctx, `leaving ${key}…`, client.api.leaveGroup({ params: { group: groupArg(key) } }))
      if (globals(cmd).json === true) {
        printJson(ctx, { group: g })
        return
      }
      print(ctx, `you left ${groupLabel(g)}; its history stays: \`${natterCommand(cmd)} history ${shellQuote(groupRef(g))}\``)
    })

  group
    .command('rename')
    .description('rename a group (admins); every member sees the new name')
    .argument('<group>', 'group name, id or id prefix')
    .argument('<name>', 'the new name')
    .addHelpText('after', examples(['natter group rename team "team 2"', 'rename team']))
    .action(async (key: string, name: string, _options: unknown, cmd: Command) => {
      if (name.trim() === '') {
        throw new UsageError('the new name must not be empty')
      }
      if (name.startsWith(PREFIX)) {
        throw new UsageError(`a group name cannot start with "${PREFIX}"`)
      }
      const client = await clientFor(ctx, cmd)
      const before = (await client.api.getGroup({ params: { group: groupArg(key) } })).group
      const { group: g } = await client.api.renameGroup({ params: { group: before.id }, body: { name } })
      if (globals(cmd).json === true) {
        printJson(ctx, { group: g })
        return
      }
      print(ctx, describeChange({ change: 'renamed', group: g }, before) ?? `renamed to ${groupLabel(g)}`)
    })
}
