/**
 * Settings: `GET /v1/config` shows the fields of `config.json` (defaults
 * filled in); `PATCH /v1/config` changes some, writes the file, applies the
 * live ones (read receipts, notifications) at once and says which wait for
 * the next start.
 *
 * @module
 */
import { configView, LIVE_SETTINGS, loadExistingConfigFile, updateConfigFile } from '../../config.js'
import type { ConfigFile } from '../../config.js'
import type { ConfigView } from '../contract/index.js'
import type { Handlers } from '../handlers.js'

/** What the config handlers need. */
export interface ConfigHandlersComponents {
  /** Path of `config.json`. */
  path: string
  /** Applies the live settings of the new file. */
  apply(file: ConfigFile): void
}

/** The config handlers. */
export function configHandlers (components: ConfigHandlersComponents): Pick<Handlers, 'config' | 'setConfig'> {
  const { path } = components
  // one change at a time: each is a read, merge and write of the file
  let queue: Promise<unknown> = Promise.resolve()
  return {
    async config () {
      const { file } = await loadExistingConfigFile(path)
      return { body: { config: configView(file), path, restartNeeded: [] } }
    },

    async setConfig ({ body }) {
      const update = queue.then(async () => updateConfigFile(path, body))
      queue = update.catch(() => {})
      const { file, changed } = await update
      components.apply(file)
      const restartNeeded = changed.filter(k => !LIVE_SETTINGS.has(k)) as Array<keyof ConfigView>
      return { body: { config: configView(file), path, restartNeeded } }
    }
  }
}
