/**
 * `natter status [online|away|busy] [--note …]`: shows or sets your presence.
 *
 * @module
 */
import { Argument } from 'commander'
import { UsageError } from '../errors.js'
import { formatNote, formatStatus, print, printJson, styleFor } from '../output.js'
import { clientFor, examples, globals } from '../shared.js'
import type { NodeInfo, StatusView } from '../../node/api/types.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

/** Registers `natter status`. */
export function registerStatus (program: Command, ctx: Context): void {
  program
    .command('status')
    .description('show or set your presence (seen by your contacts only, unless `natter config set presenceVisibility public`; invisible: by nobody)')
    .addArgument(new Argument('[status]', 'your new status').choices(['online', 'away', 'busy']))
    .option('--note <text>', 'a short note (up to 140 bytes); "" clears it')
    .addHelpText('after', examples(
      ['natter status', 'show your presence'],
      ['natter status away --note "lunch, back at 2"', 'away, with a note'],
      ['natter status --note "on a train"', 'change the note only'],
      ['natter status online --note ""', 'online, no note']
    ) + `
Who sees it: your status and note are published on the network's presence
topic (PROTOCOL.md §3), signed by your key, so every peer subscribed to that
topic can read them, contacts or not. Put nothing in a note you would not
post publicly.
`)
    .action(async (status: StatusView | undefined, options: { note?: string }, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      let presence
      let storage: NodeInfo['storage'] | undefined
      let reachability: NodeInfo['reachability'] | undefined
      if (status == null && options.note == null) {
        const info = await client.api.id()
        presence = info.presence
        storage = info.storage
        reachability = info.reachability
      } else {
        const current = status == null ? (await client.api.id()).presence : undefined
        const next = status ?? current?.status
        if (next == null || next === 'offline') {
          throw new UsageError('give a status (online, away or busy)')
        }
        presence = (await client.api.setPresence({ body: { status: next, note: options.note ?? (status == null ? current?.note : '') ?? '' } })).presence
      }
      if (globals(cmd).json === true) {
        printJson(ctx, storage == null ? { presence } : { presence, storage, reachability })
        return
      }
      const style = styleFor(ctx.stdout, ctx.env)
      print(ctx, `${formatStatus(style, presence.status)}${formatNote(style, presence.note)}`)
      if (storage != null && storage.state !== 'ok') {
        // loud: the daemon keeps running, but takes no new messages until its disk has room
        print(ctx, `storage: READ-ONLY since ${new Date(storage.since).toISOString()} (${storage.reason ?? 'the disk refused a write'}); peers are told to try later and nothing stored is lost; free some disk space`)
      }
      if (reachability?.state === 'none') {
        // loud: nobody can start a conversation with this node until a relay or a confirmed address appears
        print(ctx, 'reachable by nobody: no public address is confirmed and no relay holds a reservation; add a friend\'s invite (natter contacts add <invite>) or set "bootstrap" in config.json to a public natter node')
      } else if (reachability?.state === 'relayed') {
        print(ctx, `reachable through a relay: ${reachability.relayed[0] ?? ''}`)
      }
    })
}
