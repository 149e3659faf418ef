/**
 * `natter id import <file|->`: restores an identity from a backup made with
 * `natter id export` into a home where no daemon runs (the command holds the
 * home's lock meanwhile).
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { UsageError } from '../errors.js'
import { print, printJson } from '../output.js'
import { withProgress } from '../progress.js'
import { examples, globals, homeOf, natterCommand, readAll } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

interface ImportOptions {
  force?: boolean
  contacts: boolean
  passphraseFile?: string
}

/** Registers `natter id import` under `natter id`. */
export function registerIdImport (id: Command, ctx: Context): void {
  id
    .command('import')
    .description('restore your identity from a backup into a home where no daemon runs')
    .argument('<file>', 'the backup file from `natter id export`, or - to read it from stdin')
    .option('--force', 'replace the identity this home already has (it is lost unless you have a backup of it)')
    .option('--no-contacts', 'do not restore the contacts in the backup')
    .option('--passphrase-file <path>', 'the backup\'s passphrase is the first line of this file (else asked)')
    .addHelpText('after', examples(
      ['natter --home ~/natter2 id import natter.backup', 'into a new home; then start the daemon there'],
      ['natter id import - --passphrase-file pass.txt < natter.backup', 'the backup from stdin'],
      ['natter stop && natter id import natter.backup --force', 'replace this home\'s identity'],
      ['natter id import natter.backup --json', 'as JSON: { "peerId": …, "contacts": n }']
    ) + `
The restored key file is encrypted under the backup's passphrase: the daemon
asks for it (or takes --passphrase-file / NATTER_PASSPHRASE); change it with
\`natter passphrase change\`.
`)
    .action(async (file: string, options: ImportOptions, cmd: Command) => {
      const home = homeOf(ctx, cmd)
      let backup: string
      try {
        backup = file === '-' ? await readAll(ctx) : await readFile(file, 'utf8')
      } catch (err) {
        throw new UsageError(`cannot read the backup ${file}: ${(err as Error).message}`)
      }
      // loaded here: the key operations need the library, which only these commands and the daemon load
      const { assertNoIdentity, lockHome, looksLikeBackup, restoreBackup } = await import('../../node/keys.js')
      if (!looksLikeBackup(backup)) {
        throw new UsageError(`${file === '-' ? 'stdin' : file} is not a natter backup (it should start with "natter-backup-v1:")`)
      }
      const lock = await lockHome(home, 'import an identity')
      let restored
      try {
        await assertNoIdentity(home, options.force === true)
        let passphrase: string
        if (options.passphraseFile != null) {
          const { readPassphraseFile } = await import('../../node/passphrase.js')
          passphrase = await readPassphraseFile(options.passphraseFile)
        } else if (file !== '-' && (await import('../prompt.js')).canPrompt(ctx)) {
          const { askSecret } = await import('../prompt.js')
          passphrase = await askSecret(ctx, 'backup passphrase: ')
        } else {
          throw new UsageError('give the backup\'s passphrase with --passphrase-file <path> (or run on a terminal, with the backup in a file, to be asked for it)')
        }
        restored = await withProgress(ctx, 'decrypting the backup…', restoreBackup(home, backup, passphrase, { force: options.force === true, contacts: options.contacts }))
      } finally {
        await lock.release()
      }
      if (globals(cmd).json === true) {
        printJson(ctx, { home, peerId: restored.peerId, contacts: restored.contacts })
        return
      }
      print(ctx, `restored identity ${restored.peerId} into ${home}${restored.contacts > 0 ? ` with ${restored.contacts} contact${restored.contacts === 1 ? '' : 's'}` : ''}`)
      ctx.stderr.write(`its key file is encrypted under the backup's passphrase: start the daemon with \`${natterCommand(cmd)} daemon\` and give it that passphrase\n`)
    })
}
