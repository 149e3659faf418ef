/**
 * `natter conformance <multiaddr>`: checks any peer that claims to speak
 * natter against the observable rules of PROTOCOL.md and prints a line per
 * rule. Needs no daemon: it starts its own short-lived libp2p nodes.
 *
 * @module
 */
import { Option } from 'commander'
import { print, printJson } from '../output.js'
import { examples, globals } from '../shared.js'
import type { Context } from '../context.js'
import type { Command } from 'commander'

interface ConformanceOptions {
  invite?: string
  group?: string[]
  quotas?: boolean
}

/** At least one MUST rule failed; the report was printed. */
export class ConformanceFailedError extends Error {
  /** The report is already on stdout: the entry must not print a second JSON document. */
  readonly jsonPrinted = true
  constructor (message: string) {
    super(message)
    this.name = 'ConformanceFailedError'
  }
}

const GROUPS = ['transport', 'dht', 'presence', 'dm', 'mailbox', 'invite']
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value]

/** Registers `natter conformance`. */
export function registerConformance (program: Command, ctx: Context): void {
  program
    .command('conformance')
    .description('check a peer against the natter protocol (PROTOCOL.md), rule by rule; no daemon needed')
    .argument('<multiaddr>', 'the peer to check, ending in /p2p/<peer id>')
    .option('--invite <invite>', 'the peer\'s invite (natter:…), to check §7 too')
    .addOption(new Option('--group <name>', 'run only this group of checks (repeatable)').choices(GROUPS).argParser(collect))
    .option('--no-quotas', 'skip filling a mailbox quota (a few hundred deposits)')
    .addHelpText('after', examples(
      ['natter conformance /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…', 'check a peer; exit code 1 if a MUST rule fails'],
      ['natter conformance <multiaddr> --invite natter:Cg…', 'also check its invite'],
      ['natter conformance <multiaddr> --group dm --group mailbox', 'only the direct-message and mailbox rules'],
      ['natter conformance <multiaddr> --json', 'the report as one JSON document']
    ) + `
Each line: section of PROTOCOL.md, MUST/SHOULD/MAY, pass/fail/skip/unobservable,
the rule, and what the kit saw. A rule that holds inside the peer and cannot be
seen on the wire is listed as unobservable. Exit code 1 when a MUST rule fails.
`)
    .action(async (target: string, options: ConformanceOptions, cmd: Command) => {
      const json = globals(cmd).json === true
      // loaded here: only this command (and the daemon) needs libp2p
      const { runConformance, formatReport, formatResult } = await import('../../src/conformance/index.js')
      const report = await runConformance({
        target,
        invite: options.invite,
        groups: options.group as Parameters<typeof runConformance>[0]['groups'],
        quotas: options.quotas,
        // progress on a terminal's stderr, one line per rule as it is known (the report follows on stdout)
        onResult: json || ctx.stderr.isTTY !== true ? undefined : (result) => { ctx.stderr.write(`${formatResult(result)}\n`) }
      })
      if (json) {
        printJson(ctx, report)
      } else {
        print(ctx, ...formatReport(report))
      }
      if (report.summary.mustFailures > 0) {
        throw new ConformanceFailedError(`${report.summary.mustFailures} MUST rule${report.summary.mustFailures === 1 ? '' : 's'} failed`)
      }
    })
}
