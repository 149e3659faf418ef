/**
 * Summarises V8 .cpuprofile files (from `npm run bench:perf -- --profile DIR`):
 * self time by source area and the top functions, per file.
 *
 *   node dist/bench/profile-summary.js DIR [top]
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[] }

/** The area a frame's code belongs to. */
function area (url: string, fn: string): string {
  if (url === '') return fn === '(garbage collector)' ? 'GC' : fn === '(idle)' ? 'idle' : fn === '(program)' ? 'program' : `native ${fn}`
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (nm != null) return nm[1] as string
  const own = url.match(/dist\/(src\/[^/]+(?:\/[^/]+)?)/)
  if (own != null) return own[1]?.replace(/\.js$/, '') as string
  if (url.startsWith('node:')) return url
  return url
}

const dir = process.argv[2] ?? '.'
const top = Number(process.argv[3] ?? 15)
for (const file of readdirSync(dir).filter(f => f.endsWith('.cpuprofile')).sort()) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, i) => { selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)) })
  const areas = new Map<string, number>()
  const fns = new Map<string, number>()
  let busy = 0
  for (const [id, us] of selfUs) {
    const n = byId.get(id)
    if (n == null) continue
    const a = area(n.callFrame.url, n.callFrame.functionName)
    if (a === 'idle') continue
    busy += us
    areas.set(a, (areas.get(a) ?? 0) + us)
    const key = `${n.callFrame.functionName || '(anonymous)'} ${a}:${n.callFrame.lineNumber + 1}`
    fns.set(key, (fns.get(key) ?? 0) + us)
  }
  const pct = (us: number): string => `${(100 * us / busy).toFixed(1)}%`.padStart(6)
  process.stdout.write(`\n== ${file}: ${(busy / 1000).toFixed(0)} ms busy\n`)
  for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${a}\n`)
  process.stdout.write('  top functions:\n')
  for (const [f, us] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${f}\n`)
}
