/**
 * Secrets typed on the terminal without echo (passphrases), and where a
 * command's passphrases come from: a file flag, `NATTER_PASSPHRASE` for the
 * identity key, else a prompt; with no terminal, an error naming the flag.
 *
 * @module
 */
import { passphraseWeakness } from './passphrase-strength.js'
import { readPassphraseFile, requirePassphrase } from '../node/passphrase.js'
import { PromptError, UsageError } from './errors.js'
import type { Context, Input } from './context.js'
import type { FoundPassphrase } from '../node/passphrase.js'

type RawInput = Input & { setRawMode?: (raw: boolean) => unknown, isRaw?: boolean }

/** Whether a secret can be asked for: stdin is a terminal that can be switched to raw mode. */
export function canPrompt (ctx: Context): boolean {
  const input = ctx.stdin as RawInput
  return input.isTTY === true && typeof input.setRawMode === 'function'
}

/**
 * Writes `prompt` on stderr and reads one line from the terminal without
 * echoing it. Backspace and Ctrl-U edit; Enter ends; Ctrl-C (or Ctrl-D on an
 * empty line) throws {@link PromptError}.
 */
export async function askSecret (ctx: Context, prompt: string): Promise<string> {
  const input = ctx.stdin as RawInput
  if (!canPrompt(ctx)) {
    throw new PromptError('cannot ask for a secret: stdin is not a terminal')
  }
  // echo off before the prompt shows: whoever answers it must never be echoed
  const wasRaw = input.isRaw === true
  input.setRawMode!(true)
  ctx.stderr.write(prompt)
  return new Promise<string>((resolve, reject) => {
    let value = ''
    const finish = (err?: Error): void => {
      input.off('data', onData)
      input.setRawMode!(wasRaw)
      input.pause()
      ctx.stderr.write('\n')
      if (err == null) {
        resolve(value)
      } else {
        reject(err)
      }
    }
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8')
      for (const ch of text) {
        switch (ch) {
          case '\r':
          case '\n':
            finish()
            return
          case '\u0003': // Ctrl-C
            finish(new PromptError('cancelled'))
            return
          case '\u0004': // Ctrl-D
            finish(value === '' ? new PromptError('cancelled') : undefined)
            return
          case '\u007f':
          case '\b':
            value = [...value].slice(0, -1).join('')
            break
          case '\u0015': // Ctrl-U
            value = ''
            break
          case '\u001b':
            // an escape sequence (arrow keys and the like): drop the rest of it
            return
          default:
            if (ch >= ' ') {
              value += ch
            }
        }
      }
    }
    input.on('data', onData)
    input.resume()
  })
}

/** Asks for a new secret twice; throws {@link PromptError} when they differ or it is empty. */
export async function askNewSecret (ctx: Context, what: string): Promise<string> {
  const first = await askSecret(ctx, `new ${what}: `)
  if (first === '') {
    throw new PromptError(`no ${what} entered; nothing was changed`)
  }
  const again = await askSecret(ctx, `repeat the new ${what}: `)
  if (again !== first) {
    throw new PromptError(`the two entries of the ${what} differ; nothing was changed`)
  }
  return first
}

/**
 * The identity key's current passphrase: `--passphrase-file`, else
 * `NATTER_PASSPHRASE`, else asked; `PassphraseRequiredError` with none.
 */
export async function keyPassphrase (ctx: Context, file: string | undefined, keyFile: string): Promise<FoundPassphrase> {
  return requirePassphrase({ file, env: ctx.env, ask: canPrompt(ctx) ? async (prompt) => askSecret(ctx, prompt) : undefined }, keyFile)
}

/**
 * A secret the user chooses now (a new key passphrase, a backup's): the first
 * line of the file given with `flag`, else asked twice on the terminal;
 * {@link UsageError} naming the flag when there is no terminal.
 */
export async function chosenSecret (ctx: Context, options: { file?: string, flag: string, what: string }): Promise<string> {
  let secret: string
  if (options.file != null) {
    secret = await readPassphraseFile(options.file)
  } else if (!canPrompt(ctx)) {
    throw new UsageError(`give the ${options.what} with ${options.flag} <path> (or run on a terminal to be asked for it)`)
  } else {
    secret = await askNewSecret(ctx, options.what)
  }
  const weakness = passphraseWeakness(secret)
  if (weakness != null) {
    ctx.stderr.write(`warning: this ${options.what} is weak: ${weakness}; anyone who gets the file can try guesses offline. Four or five random words (or 12+ mixed characters) are far stronger.\n`)
  }
  return secret
}
