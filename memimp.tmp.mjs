const mods = process.argv.slice(2)
const mb = (n) => (n / 1048576).toFixed(1)
globalThis.gc?.()
let last = process.memoryUsage()
console.log('start rss', mb(last.rss), 'heap', mb(last.heapUsed))
for (const m of mods) {
  await import(m.startsWith('.') || m.startsWith('/') ? new URL(m, 'file:///work/wt-perf3/').href : m)
  globalThis.gc?.()
  const now = process.memoryUsage()
  console.log(m.padEnd(40), 'rss +', mb(now.rss - last.rss).padStart(5), 'heap +', mb(now.heapUsed - last.heapUsed).padStart(5), 'ext +', mb(now.external - last.external))
  last = now
}
console.log('end rss', mb(last.rss), 'heap', mb(last.heapUsed))
