#!/usr/bin/env node
/**
 * The `natter` executable. It runs the CLI program (`main.js`) from the
 * single-file build of it, `natter.bundle.js`, that `npm run build` writes
 * beside it (node/bundle-cli.mjs): one file to read and compile instead of
 * about two hundred modules, which is most of a CLI call's start-up time
 * (README, Performance). The bundle holds the CLI client only; the daemon,
 * the library and libp2p are loaded from dist/ as before.
 *
 * Without a bundle, or with one older than tsc's last emit (a `tsc` run
 * without the bundling step; dist/.tsbuildinfo is written by the emitting
 * build only, the test typecheck keeps its own), the modules are loaded as
 * compiled, so the CLI never runs stale code. NATTER_NO_BUNDLE=1 forces
 * that too.
 *
 * @module
 */
import { statSync } from 'node:fs'

/** Modification time in ms, or -1 when the file is missing. */
function mtime (url: URL): number {
  try {
    return statSync(url).mtimeMs
  } catch {
    return -1
  }
}

const bundle = new URL('./natter.bundle.js', import.meta.url)
const useBundle = (process.env.NATTER_NO_BUNDLE ?? '') === '' &&
  mtime(bundle) >= mtime(new URL('../.tsbuildinfo', import.meta.url))
const program = (useBundle ? await import(bundle.href) : await import('./main.js')) as typeof import('./main.js')
await program.run()
