/**
 * Telling the user about a new message while the chat is not focused: the
 * terminal bell, or a desktop notification through `notify-send` when it is
 * installed (the bell otherwise), or nothing, as `natter config set notify`
 * chose.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { safeText } from '../safe-text.js'
import type { Output } from '../context.js'

/** What `notify` is set to. */
export type NotifyMode = 'bell' | 'desktop' | 'off'

/** The path of `notify-send` on `PATH`, if any. */
export function findNotifySend (env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') {
      continue
    }
    const candidate = join(dir, 'notify-send')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/** notify-send bodies are markup: a peer's `<b>` or `&` must show as text. */
function markupEscape (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A notifier for one chat session. */
export interface Notifier {
  /** A new message from `from` (a label) with `text`. */
  message(from: string, text: string): void
}

/** Creates the notifier for `mode`. */
export function createNotifier (init: { mode: NotifyMode, out: Output, env: NodeJS.ProcessEnv }): Notifier {
  const bell = (): void => { init.out.write('\u0007') }
  const notifySend = init.mode === 'desktop' ? findNotifySend(init.env) : undefined
  return {
    message (from, text) {
      if (init.mode === 'off') {
        return
      }
      if (notifySend == null) {
        bell()
        return
      }
      const body = safeText(text.length > 200 ? `${text.slice(0, 200)}…` : text)
      try {
        const child = spawn(notifySend, ['--app-name=natter', `natter: ${safeText(from)}`, markupEscape(body)], { stdio: 'ignore', detached: false })
        child.on('error', bell)
        child.unref()
      } catch {
        bell()
      }
    }
  }
}
