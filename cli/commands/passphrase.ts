/**
 * `natter passphrase status|set|change|remove`: whether the identity key file
 * is encrypted, and encrypting, re-encrypting or decrypting it. Works on the
 * home's files directly, so the daemon must be stopped (the command holds the
 * home's lock meanwhile).
 *
 * @module
 */
import { homeFiles } from '../../node/api/discovery.js'
import { NoIdentityError, UsageError } from '../errors.js'
import { print, printJson } from '../output.js'
import { examples, globals, homeOf, natterCommand, rejectStrayWord } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

type Action = 'set' | 'change' | 'remove'

interface PassphraseOptions {
  passphraseFile?: string
  newPassphraseFile?: string
}

const NEW_FLAG = '--new-passphrase-file'

/** Registers `natter passphrase …`. */
export function registerPassphrase (program: Command, ctx: Context): void {
  const passphrase = program
    .command('passphrase')
    .description('protect the identity key with a passphrase (set, change or remove it; the daemon must be stopped)')
    .addHelpText('after', examples(
      ['natter passphrase', 'is the identity key encrypted?'],
      ['natter stop && natter passphrase set', 'encrypt it (asked twice, not echoed)'],
      ['natter passphrase change', 'asked for the current one, then the new one twice'],
      [`natter passphrase set ${NEW_FLAG} ~/.natter-pass`, 'the new passphrase from a file (its first line)'],
      ['natter passphrase remove', 'store the key unencrypted again (mode 0600)']
    ) + `
Once the key is encrypted, \`natter daemon\` needs the passphrase: from
--passphrase-file <path>, else NATTER_PASSPHRASE, else it asks on the terminal.
The current passphrase of \`change\` and \`remove\` is taken the same way.
`)

  passphrase
    .command('status', { isDefault: true })
    .allowExcessArguments()
    .description('say whether the identity key is encrypted')
    .addHelpText('after', examples(['natter passphrase status --json', 'as JSON: { "identity": "encrypted" | "plain" | "missing" }']))
    .action(async (_options: unknown, cmd: Command) => {
      rejectStrayWord(cmd)
      const home = homeOf(ctx, cmd)
      const { keyStatus } = await import('../../node/keys.js')
      const status = await keyStatus(home)
      if (globals(cmd).json === true) {
        printJson(ctx, { home, identity: status })
        return
      }
      const file = homeFiles(home).identity
      print(ctx, status === 'missing'
        ? `no identity key in ${home} yet (the daemon creates one on first start)`
        : `${file} is ${status === 'encrypted' ? 'encrypted with a passphrase' : `not encrypted (encrypt it with \`${natterCommand(cmd)} passphrase set\`)`}`)
    })

  const register = (action: Action, description: string, lines: Array<[string, string]>): void => {
    const sub = passphrase
      .command(action)
      .description(description)
    if (action !== 'set') {
      sub.option('--passphrase-file <path>', 'the current passphrase is the first line of this file (else NATTER_PASSPHRASE, else asked)')
    }
    if (action !== 'remove') {
      sub.option(`${NEW_FLAG} <path>`, 'the new passphrase is the first line of this file (else asked twice)')
    }
    sub
      .addHelpText('after', examples(...lines))
      .action(async (options: PassphraseOptions, cmd: Command) => {
        await run(ctx, cmd, action, options)
      })
  }
  register('set', 'encrypt the identity key under a new passphrase', [
    ['natter passphrase set', 'asked twice, not echoed'],
    ['natter passphrase set --json', 'then print { "identity": "encrypted" }']
  ])
  register('change', 'change the identity key\'s passphrase', [
    ['natter passphrase change', 'asked for the current and the new one'],
    [`NATTER_PASSPHRASE=old natter passphrase change ${NEW_FLAG} new.txt`, 'without prompts']
  ])
  register('remove', 'store the identity key unencrypted (mode 0600)', [
    ['natter passphrase remove', 'asked for the current passphrase'],
    ['natter passphrase remove --passphrase-file pass.txt --json', 'without a prompt']
  ])
}

async function run (ctx: Context, cmd: Command, action: Action, options: PassphraseOptions): Promise<void> {
  const home = homeOf(ctx, cmd)
  const file = homeFiles(home).identity
  const natter = natterCommand(cmd)
  // loaded here: the key operations need the library, which only these commands and the daemon load
  const { changePassphrase, keyStatus, lockHome } = await import('../../node/keys.js')
  const lock = await lockHome(home, 'change the passphrase')
  try {
    const status = await keyStatus(home)
    if (status === 'missing') {
      throw new NoIdentityError(`no identity key in ${home} yet; start the daemon once to create it (with --passphrase-file or NATTER_PASSPHRASE it is created encrypted)`)
    }
    if (action === 'set' && status === 'encrypted') {
      throw new UsageError(`${file} is already encrypted; use \`${natter} passphrase change\``)
    }
    if (action !== 'set' && status === 'plain') {
      throw new UsageError(`${file} is not encrypted; use \`${natter} passphrase set\``)
    }
    const { chosenSecret, keyPassphrase } = await import('../prompt.js')
    const current = action === 'set' ? undefined : (await keyPassphrase(ctx, options.passphraseFile, file)).passphrase
    const next = action === 'remove' ? undefined : await chosenSecret(ctx, { file: options.newPassphraseFile, flag: NEW_FLAG, what: 'passphrase' })
    await changePassphrase(home, current, next)
  } finally {
    await lock.release()
  }
  const identity = action === 'remove' ? 'plain' : 'encrypted'
  if (globals(cmd).json === true) {
    printJson(ctx, { home, identity })
    return
  }
  if (action === 'remove') {
    print(ctx, `${file} is no longer encrypted`)
    ctx.stderr.write('anyone who can read your files can now take your identity; set a passphrase again with `natter passphrase set`\n')
    return
  }
  print(ctx, `${file} is encrypted; the daemon needs the passphrase to start (--passphrase-file <path>, NATTER_PASSPHRASE, or asked on the terminal)`)
}
