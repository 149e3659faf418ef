/**
 * What every command gets handed: its streams and environment, so tests can
 * capture output and commands never reach for `process` themselves.
 *
 * @module
 */

/** An output stream; `isTTY` and `columns` are set for terminals. */
export type Output = NodeJS.WritableStream & { isTTY?: boolean, columns?: number }

/** An input stream; `isTTY` is set for terminals. */
export type Input = NodeJS.ReadableStream & { isTTY?: boolean }

/** The command context. */
export interface Context {
  stdout: Output
  stderr: Output
  stdin: Input
  env: NodeJS.ProcessEnv
}

/** The process's own streams and environment. */
export function processContext (): Context {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }
}

/** Options every command accepts (declared once, on the program). */
export interface GlobalOptions {
  /** `--home`: the daemon's home directory. */
  home?: string
  /** `--json`: exactly one JSON document on stdout. */
  json?: boolean
}
