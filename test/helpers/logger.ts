import type { ComponentLogger, Logger } from '@libp2p/interface'

/** A ComponentLogger that records every line (component, level, formatted text) instead of printing it. */
export interface RecordingLogger extends ComponentLogger {
  lines: Array<{ component: string, level: 'log' | 'error' | 'trace', text: string }>
}

function format (formatter: unknown, args: unknown[]): string {
  let i = 0
  return String(formatter).replace(/%[a-zA-Z%]/g, (m) => m === '%%' ? '%' : String(args[i++]))
}

export function recordingLogger (): RecordingLogger {
  const lines: RecordingLogger['lines'] = []
  const make = (component: string): Logger => {
    const log = ((formatter: unknown, ...args: unknown[]) => { lines.push({ component, level: 'log', text: format(formatter, args) }) }) as Logger
    log.error = (formatter: unknown, ...args: unknown[]) => { lines.push({ component, level: 'error', text: format(formatter, args) }) }
    log.trace = (formatter: unknown, ...args: unknown[]) => { lines.push({ component, level: 'trace', text: format(formatter, args) }) }
    log.enabled = true
    log.newScope = (name: string) => make(`${component}:${name}`)
    return log
  }
  return { lines, forComponent: make }
}
