/**
 * The daemon's log: level-filtered lines on a stream (stderr). The daemon's
 * stdout carries only the startup banner.
 *
 * @module
 */
import { format } from 'node:util'
import { enable } from '@libp2p/logger'
import { safeText } from '../src/util/safe-text.js'

/** Log levels, most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const
/** A log level. */
export type LogLevel = typeof LOG_LEVELS[number]

/** A levelled logger. */
export interface Log {
  error(message: string, ...args: unknown[]): void
  warn(message: string, ...args: unknown[]): void
  info(message: string, ...args: unknown[]): void
  debug(message: string, ...args: unknown[]): void
}

/** Options of {@link createLog}. */
export interface LogInit {
  /** Lines below this level are dropped. @default 'warn' */
  level?: LogLevel
  /** Where lines go. */
  stream: NodeJS.WritableStream
}

/**
 * Creates the daemon log. At `debug` it also turns on the library's
 * `@libp2p/logger` namespaces (`natter*`), unless `DEBUG` already chose some.
 */
export function createLog (init: LogInit): Log {
  const level = init.level ?? 'warn'
  const threshold = LOG_LEVELS.indexOf(level)
  if (level === 'debug' && (process.env.DEBUG == null || process.env.DEBUG === '')) {
    enable('natter*')
  }
  const line = (at: LogLevel) => (message: string, ...args: unknown[]): void => {
    if (LOG_LEVELS.indexOf(at) <= threshold) {
      // arguments may quote peers (names, reasons): no control character reaches the terminal
      init.stream.write(`natter daemon: ${at}: ${safeText(format(message, ...args)).replace(/\\n/g, '\n  ')}\n`)
    }
  }
  return { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug') }
}

/** A log that drops everything (tests, stand-ins). */
export const silentLog: Log = { error () {}, warn () {}, info () {}, debug () {} }
