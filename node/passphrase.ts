/**
 * Where the identity key's passphrase comes from: `--passphrase-file <path>`,
 * else `$NATTER_PASSPHRASE`, else a prompt on the terminal (without echo).
 * With none of them, {@link PassphraseRequiredError} names all three.
 *
 * Kept free of the library so the CLI can read passphrase files without
 * loading libp2p.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
// the error class alone, not the library's index (which loads libp2p): the CLI imports this file
import { PassphraseRequiredError } from '../src/keys/errors.js'
import { PassphraseFileError } from './errors.js'

/** The environment variable holding the identity key's passphrase. */
export const PASSPHRASE_ENV = 'NATTER_PASSPHRASE'

/** Where a passphrase may come from, in this order. */
export interface PassphraseSources {
  /** `--passphrase-file`: its first line is the passphrase. */
  file?: string
  /** Read for `NATTER_PASSPHRASE`. @default process.env */
  env?: NodeJS.ProcessEnv
  /** Asks the user without echo; left out when there is no terminal to ask on. */
  ask?: (prompt: string) => Promise<string>
}

/** A passphrase, and where it came from (for messages). */
export interface FoundPassphrase {
  passphrase: string
  /** e.g. `--passphrase-file /run/secrets/natter`, `NATTER_PASSPHRASE`, `the prompt`. */
  source: string
}

/**
 * The passphrase in a file: its first line, without the line ending.
 * Throws {@link PassphraseFileError} when the file cannot be read or that line is empty.
 */
export async function readPassphraseFile (path: string): Promise<string> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new PassphraseFileError(`cannot read the passphrase file ${path}: ${(err as Error).message}`, { cause: err })
  }
  const line = text.split(/\r?\n/, 1)[0] ?? ''
  if (line === '') {
    throw new PassphraseFileError(`the passphrase file ${path} is empty (the passphrase is its first line)`)
  }
  return line
}

/** A passphrase given without asking: the file, else the environment; undefined when neither is set. */
export async function givenPassphrase (sources: PassphraseSources): Promise<FoundPassphrase | undefined> {
  if (sources.file != null) {
    return { passphrase: await readPassphraseFile(sources.file), source: `--passphrase-file ${sources.file}` }
  }
  const fromEnv = (sources.env ?? process.env)[PASSPHRASE_ENV]
  if (fromEnv != null && fromEnv !== '') {
    return { passphrase: fromEnv, source: PASSPHRASE_ENV }
  }
  return undefined
}

/**
 * The passphrase of the encrypted key file `keyFile`: given, else asked for.
 * Throws {@link PassphraseRequiredError} naming the three ways to give it
 * when it is neither given nor can be asked for.
 */
export async function requirePassphrase (sources: PassphraseSources, keyFile: string): Promise<FoundPassphrase> {
  const given = await givenPassphrase(sources)
  if (given != null) {
    return given
  }
  if (sources.ask == null) {
    throw new PassphraseRequiredError(`the identity key ${keyFile} is encrypted: give its passphrase with --passphrase-file <path> or ${PASSPHRASE_ENV}, or run on a terminal to be asked for it`)
  }
  const passphrase = await sources.ask(`passphrase of ${keyFile}: `)
  if (passphrase === '') {
    throw new PassphraseRequiredError(`no passphrase entered for the identity key ${keyFile}`)
  }
  return { passphrase, source: 'the prompt' }
}
