/**
 * `natter id export`: an encrypted backup of this node's identity key (and,
 * if asked, its contacts), sealed under a passphrase chosen now, as one line
 * of text. Restore it with `natter id import`.
 *
 * @module
 */
import { open } from 'node:fs/promises'
import { resolve } from 'node:path'
import { FileExistsError } from '../errors.js'
import { print, printJson } from '../output.js'
import { withProgress } from '../progress.js'
import { clientFor, examples, globals, natterCommand } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

interface ExportOptions {
  out?: string
  withContacts?: boolean
  passphraseFile?: string
}

/** Creates `path` (mode 0600) with `text`; {@link FileExistsError} if it exists. */
async function writeNewFile (path: string, text: string): Promise<void> {
  let handle
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new FileExistsError(`${path} already exists; remove it or choose another --out`, { cause: err })
    }
    throw err
  }
  try {
    await handle.writeFile(text)
  } finally {
    await handle.close()
  }
}

/** Registers `natter id export` under `natter id`. */
export function registerIdExport (id: Command, ctx: Context): void {
  id
    .command('export')
    .description('write an encrypted backup of your identity (and contacts) to restore with `natter id import`')
    .option('--out <file>', 'write the backup to this new file (mode 0600) instead of stdout')
    .option('--with-contacts', 'include your contact list')
    .option('--passphrase-file <path>', 'the backup\'s passphrase is the first line of this file (else asked twice)')
    .addHelpText('after', examples(
      ['natter id export --out natter.backup', 'asked for a backup passphrase twice'],
      ['natter id export --with-contacts --out natter.backup', 'with your contacts'],
      ['natter id export --passphrase-file pass.txt --json', 'as JSON: { "backup": "natter-backup-v1:…" }']
    ) + `
The backup holds your private identity key, encrypted under the passphrase you
choose now (it need not be the key file's). Without that passphrase it cannot
be opened; keep both safe. Conversations and sessions are not included.
`)
    .action(async (options: ExportOptions, cmd: Command) => {
      const g = globals(cmd)
      // the daemon first: no point asking for a passphrase when it is not running
      const client = await clientFor(ctx, cmd)
      const { chosenSecret } = await import('../prompt.js')
      const passphrase = await chosenSecret(ctx, { file: options.passphraseFile, flag: '--passphrase-file', what: 'backup passphrase' })
      const exported = await withProgress(ctx, 'encrypting the backup…', client.api.exportIdentity({ body: { passphrase, contacts: options.withContacts === true } }))
      const what = `${exported.peerId}${options.withContacts === true ? ` and ${exported.contacts} contact${exported.contacts === 1 ? '' : 's'}` : ''}`
      const restore = `restore it with \`${natterCommand(cmd)} id import <file>\` on a home where no daemon runs`
      if (options.out != null) {
        await writeNewFile(options.out, exported.backup + '\n')
        if (g.json === true) {
          printJson(ctx, { file: resolve(options.out), peerId: exported.peerId, contacts: exported.contacts })
          return
        }
        print(ctx, `wrote an encrypted backup of ${what} to ${options.out}`)
        ctx.stderr.write(`${restore}\n`)
        return
      }
      if (g.json === true) {
        printJson(ctx, exported)
        return
      }
      ctx.stdout.write(exported.backup + '\n')
      ctx.stderr.write(`that is an encrypted backup of ${what}; ${restore}\n`)
    })
}
