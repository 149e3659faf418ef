#!/usr/bin/env node
// (node/build.mjs: the build step of `npm run build` and `npm start`.)
// Builds dist/ with tsc (incremental), then stamps it. With --if-stale, does
// nothing when no source is newer than the last stamp, so a second
// `npm start` goes straight to the daemon (which says whether one already
// runs) instead of spending seconds re-checking an unchanged tree.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const stamp = join(root, 'dist', '.build-stamp')
const SOURCES = ['src', 'node', 'cli', 'bench']
const FILES = ['tsconfig.json', 'package.json', 'package-lock.json']

/** The newest modification time under the sources, in ms. */
function newestSource () {
  let newest = 0
  const visit = (path) => {
    let entries
    try {
      entries = readdirSync(path, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const p = join(path, e.name)
      if (e.isDirectory()) {
        visit(p)
      } else if (e.isFile()) {
        newest = Math.max(newest, statSync(p).mtimeMs)
      }
    }
  }
  for (const dir of SOURCES) {
    visit(join(root, dir))
  }
  for (const file of FILES) {
    try {
      newest = Math.max(newest, statSync(join(root, file)).mtimeMs)
    } catch {
      // not there
    }
  }
  return newest
}

function stampTime () {
  try {
    return statSync(stamp).mtimeMs
  } catch {
    return -1
  }
}

if (process.argv.includes('--if-stale') && stampTime() >= newestSource()) {
  process.exit(0)
}
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' })
if (tsc.status !== 0) {
  process.exit(tsc.status ?? 1)
}
// the CLI's single-file build (node/bundle-cli.mjs); a failure leaves the
// CLI on the compiled modules (dist/cli/index.js falls back), never stale
try {
  const { bundleCli } = await import('./bundle-cli.mjs')
  await bundleCli()
} catch (err) {
  process.stderr.write(`build: the CLI bundle was not written (${err.message}); the CLI runs from the compiled modules\n`)
}
writeFileSync(stamp, `${new Date().toISOString()}\n`)
