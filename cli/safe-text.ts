/**
 * The CLI's one entry to safe printing of peer text; the functions live in
 * the library (`src/util/safe-text.ts`) so the daemon's log and embedders use
 * the same rules.
 *
 * @module
 */
export { escapeChar, isUnsafe, safeLines, safeText, shellQuote } from '../src/util/safe-text.js'
export type { EscapeMark } from '../src/util/safe-text.js'
