/**
 * `natter chat <contact>`: an interactive conversation. Shows the last
 * messages, the contact's presence and live incoming messages above a prompt
 * that keeps what you are typing; each line you enter is sent.
 *
 * Not on a terminal it reads lines from stdin and prints plain lines; with
 * `--json` it prints nothing while running and one JSON document (the
 * session's transcript) when stdin ends.
 *
 * When the contact's identity key changed (now or before), a loud warning
 * says its messages are held; the command then exits with code 8.
 *
 * @module
 */
import { clearLine, createInterface, cursorTo, moveCursor } from 'node:readline'
import type { Interface } from 'node:readline'
import { DaemonNotRunningError } from '../errors.js'
import { heldError, keyChangeWarning } from '../key-change.js'
import { formatMessage, formatNote, formatStatus, formatTime, peerText, printJson, styleFor, who } from '../output.js'
import { clientFor, examples, globals, natterCommand, positiveInt } from '../shared.js'
import type { ApiClient } from '../client.js'
import type { Context } from '../context.js'
import type { KeyChange } from '../key-change.js'
import type { EventView, MessageView, PresenceView, StatusView } from '../../node/api/types.js'
import type { Style } from '../output.js'
import type { Command } from 'commander'

const STATUSES = new Set(['online', 'away', 'busy'])

const HELP = [
  'type a message and press Enter to send it; lines starting with / are commands:',
  '  /status <online|away|busy> [note]   set your presence',
  '  /history [n]                        show the last n messages (default 20)',
  '  /quit                               leave (also Ctrl-C or Ctrl-D)',
  '  //text                              send a line that starts with /'
]

interface ChatOptions {
  last: number
}

/** One chat session's state. */
interface Session {
  client: ApiClient
  style: Style
  peerId: string
  name?: string
  /** What was sent and received (for --json). */
  transcript: MessageView[]
  /** Ids already shown, so history and live events never repeat a message. */
  shown: Set<string>
  /** Writes a line above the prompt. */
  say(line: string): void
  /** Shows a warning: on the screen when interactive, else on stderr. */
  warn(lines: string[]): void
  /** `natter` (with --home when given), for suggested commands. */
  natter: string
  /** The key change last warned about (each is shown once). */
  warned?: string
  /** Messages sent in this session that are held by a key change, and the last change. */
  held: number
  lastHeld?: KeyChange
}

function warnKeyChange (s: Session, change: KeyChange): void {
  if (s.warned === change.newPeerId) {
    return
  }
  s.warned = change.newPeerId
  s.warn(keyChangeWarning(s.style, change, s.natter))
}

function describePresence (s: Session, p: PresenceView | undefined): string {
  const label = who(s.peerId, s.name)
  if (p == null) {
    return `${label} has not been seen yet`
  }
  return `${label} is ${formatStatus(s.style, p.status)}${formatNote(s.style, p.note)}`
}

async function showHistory (s: Session, limit: number): Promise<void> {
  const { messages } = await s.client.history(s.peerId, { limit })
  for (const m of messages) {
    s.shown.add(m.id)
    s.say(formatMessage(s.style, m, s.name))
  }
  if (messages.some(m => m.direction === 'in' && m.state === 'received')) {
    await markRead(s)
  }
}

/** Marks the conversation read: the messages were on screen. */
async function markRead (s: Session): Promise<void> {
  await s.client.markRead(s.peerId).catch(() => {})
}

function onEvent (s: Session, event: EventView): void {
  switch (event.type) {
    case 'message': {
      if (event.message.peer !== s.peerId || s.shown.has(event.message.id)) {
        return
      }
      s.shown.add(event.message.id)
      s.transcript.push(event.message)
      s.say(formatMessage(s.style, event.message, s.name))
      void markRead(s)
      return
    }
    case 'message:state':
      if (event.peer === s.peerId && event.state === 'failed') {
        s.say(s.style.red(`✗ a message was not delivered${event.reason == null ? '' : `: ${peerText(s.style, event.reason)}`}`))
      }
      return
    case 'presence':
      if (event.presence.peerId === s.peerId) {
        s.say(s.style.dim(`* ${describePresence(s, event.presence)}`))
      }
      return
    case 'contact:key-changed':
      if (event.peerId === s.peerId) {
        warnKeyChange(s, { contact: event.contact.name, peerId: event.peerId, newPeerId: event.newPeerId })
      }
  }
}

async function send (s: Session, text: string): Promise<void> {
  try {
    const { message, held } = await s.client.send({ to: s.peerId, text, wait: 'queued' })
    s.shown.add(message.id)
    s.transcript.push(message)
    if (held != null) {
      s.held++
      s.lastHeld = held
      warnKeyChange(s, held)
      s.say(s.style.red(`✗ held: ${who(held.peerId, held.contact)}'s identity key changed (accept or reject it first)`))
    }
  } catch (err) {
    s.say(s.style.red(`✗ not sent: ${peerText(s.style, (err as Error).message)}`))
  }
}

async function command (s: Session, line: string): Promise<'quit' | undefined> {
  const [cmd = '', ...args] = line.slice(1).trim().split(/\s+/)
  switch (cmd) {
    case 'quit':
    case 'exit':
    case 'q':
      return 'quit'
    case 'status': {
      const status = args[0]
      if (status == null || !STATUSES.has(status)) {
        s.say('usage: /status <online|away|busy> [note]')
        return
      }
      const note = line.slice(1).trim().split(/\s+/).slice(2).join(' ')
      try {
        const { presence } = await s.client.setPresence({ status: status as StatusView, note })
        s.say(s.style.dim(`* you are ${formatStatus(s.style, presence.status)}${formatNote(s.style, presence.note)}`))
      } catch (err) {
        s.say(s.style.red(`✗ ${peerText(s.style, (err as Error).message)}`))
      }
      return
    }
    case 'history': {
      const n = args[0] == null ? 20 : Number(args[0])
      if (!Number.isInteger(n) || n < 1) {
        s.say('usage: /history [n]')
        return
      }
      s.shown.clear()
      await showHistory(s, Math.min(n, 1000))
      return
    }
    default:
      for (const l of HELP) {
        s.say(l)
      }
  }
}

/** Registers `natter chat`. */
export function registerChat (program: Command, ctx: Context): void {
  program
    .command('chat')
    .description('chat interactively: live messages, presence, history; each line you type is sent')
    .argument('<contact>', 'contact name or peer id')
    .option('-n, --last <n>', 'how many earlier messages to show on entry', positiveInt, 20)
    .addHelpText('after', examples(
      ['natter chat bob', 'chat with bob (/quit to leave, /status away lunch, /history 50)'],
      ['printf "hi\\nbye\\n" | natter chat bob --json', 'send lines from stdin; print the transcript as JSON']
    ))
    .action(async (key: string, options: ChatOptions, cmd: Command) => {
      const g = globals(cmd)
      const client = await clientFor(ctx, cmd)
      const target = await client.resolve(key)
      const interactive = g.json !== true && ctx.stdin.isTTY === true && ctx.stdout.isTTY === true
      const style = styleFor(ctx.stdout, g.json === true ? { ...ctx.env, NO_COLOR: '1' } : ctx.env)

      // created once the screen is set up (and then read at once: lines are not buffered before that)
      const screen: { rl?: Interface } = {}

      const session: Session = {
        client,
        style,
        peerId: target.peerId,
        name: target.name,
        transcript: [],
        shown: new Set(),
        natter: natterCommand(cmd),
        held: 0,
        warn: (lines) => {
          if (interactive) {
            for (const line of lines) {
              session.say(line)
            }
          } else {
            ctx.stderr.write(lines.join('\n') + '\n')
          }
        },
        say: (line) => {
          if (g.json === true) {
            return
          }
          const rl = screen.rl
          if (!interactive || rl == null) {
            ctx.stdout.write(line + '\n')
            return
          }
          // write above the prompt, then redraw the prompt with what the user has typed so far
          clearLine(ctx.stdout, 0)
          cursorTo(ctx.stdout, 0)
          ctx.stdout.write(line + '\n')
          rl.prompt(true)
        }
      }

      // subscribe before reading history, so nothing falls between the two
      const stop = new AbortController()
      const events = client.events({ peer: target.peerId, signal: stop.signal })[Symbol.asyncIterator]()
      const first = await events.next()
      if (first.done === true || first.value.type !== 'ready') {
        throw new DaemonNotRunningError('the daemon closed the event stream', { home: client.home })
      }
      const presence = (await client.presence()).peers.find(p => p.peerId === target.peerId)
      const contact = target.name == null ? undefined : (await client.getContact(target.peerId)).contact
      if (g.json !== true) {
        ctx.stdout.write(style.bold(`chatting with ${who(target.peerId, target.name)}`) + style.dim(` (${target.peerId})`) + '\n')
        ctx.stdout.write(style.dim(`* ${describePresence(session, presence)}`) + '\n')
        if (interactive) {
          ctx.stdout.write(style.dim('/quit to leave, /status away <note> to set your status, /help for more') + '\n')
        }
      }
      if (contact?.pendingPeerId != null) {
        warnKeyChange(session, { contact: contact.name, peerId: contact.peerId, newPeerId: contact.pendingPeerId })
      }
      await showHistory(session, options.last)

      const input = createInterface({
        input: ctx.stdin,
        output: interactive ? ctx.stdout : undefined,
        terminal: interactive,
        prompt: style.bold('> ')
      })
      screen.rl = input
      const lines = input[Symbol.asyncIterator]()
      if (interactive) {
        input.prompt()
      }

      const end: { reason: 'quit' | 'eof' | 'daemon' } = { reason: 'eof' }
      const pending = new Set<Promise<void>>()
      const live = (async () => {
        for (;;) {
          const next = await events.next()
          if (next.done === true || next.value.type === 'shutdown') {
            return
          }
          onEvent(session, next.value)
        }
      })().then(() => {
        if (!stop.signal.aborted) {
          end.reason = 'daemon'
          input.close()
        }
      }, (err: unknown) => {
        if (!stop.signal.aborted) {
          end.reason = 'daemon'
          session.say(style.red(`event stream failed: ${peerText(style, (err as Error).message)}`))
          input.close()
        }
      })

      input.on('SIGINT', () => { end.reason = 'quit'; input.close() })

      for (;;) {
        const next = await lines.next()
        if (next.done === true) {
          break
        }
        const line = next.value.trimEnd()
        if (interactive) {
          // replace the echoed input line with the formatted message (or nothing)
          const columns = ctx.stdout.columns ?? 80
          if (2 + line.length < columns) {
            moveCursor(ctx.stdout, 0, -1)
            clearLine(ctx.stdout, 0)
          }
        }
        if (line.trim() === '') {
          if (interactive) {
            input.prompt()
          }
          continue
        }
        if (line.startsWith('/') && !line.startsWith('//')) {
          if (await command(session, line) === 'quit') {
            end.reason = 'quit'
            break
          }
        } else {
          const text = line.startsWith('//') ? line.slice(1) : line
          session.say(`${style.dim(`[${formatTime(Date.now())}]`)} ${style.magenta('me')}: ${peerText(style, text)}`)
          const p = send(session, text)
          pending.add(p)
          void p.finally(() => pending.delete(p))
        }
        if (interactive) {
          input.prompt()
        }
      }
      input.close()
      await Promise.all(pending)
      stop.abort()
      await live

      if (g.json === true) {
        printJson(ctx, { peer: target.peerId, name: target.name ?? null, messages: session.transcript })
      } else if (interactive) {
        ctx.stdout.write('\n')
      }
      if (end.reason === 'daemon') {
        throw new DaemonNotRunningError('the daemon stopped', { home: client.home })
      }
      if (session.lastHeld != null) {
        throw heldError(session.lastHeld, { natter: session.natter, count: session.held, jsonPrinted: g.json === true })
      }
    })
}
