/**
 * `natter stop`: asks the daemon to shut down cleanly and waits until it has.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { ClientTimeoutError } from '../errors.js'
import { print, printJson } from '../output.js'
import { withProgress } from '../progress.js'
import { clientFor, examples, globals } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

const STOP_TIMEOUT_MS = 20_000
const POLL_MS = 50

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function exited (pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (alive(pid)) {
    if (Date.now() > deadline) {
      throw new ClientTimeoutError(`the daemon (pid ${pid}) is still stopping after ${timeoutMs / 1000} s`)
    }
    await sleep(POLL_MS)
  }
}

/** Registers `natter stop`. */
export function registerStop (program: Command, ctx: Context): void {
  program
    .command('stop')
    .description('stop the daemon cleanly (announces offline) and wait until it has exited')
    .addHelpText('after', examples(['natter stop', 'stop the daemon of the default home'], ['natter --home ~/alt stop', 'stop another home\'s daemon']))
    .action(async (_options: unknown, cmd: Command) => {
      const client = await clientFor(ctx, cmd)
      const { pid } = await client.api.stop()
      await withProgress(ctx, 'stopping…', exited(pid, STOP_TIMEOUT_MS))
      if (globals(cmd).json === true) {
        printJson(ctx, { stopped: true, pid })
        return
      }
      print(ctx, `daemon stopped (pid ${pid})`)
    })
}
