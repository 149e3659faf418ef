#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * The `natter` executable. It runs the CLI program (`main.js`) from the
 * bundled build of it, `natter.bundle.js` and its `natter.chunk-*.js`, that
 * `npm run build` writes beside it (node/bundle-cli.mjs): a few files to read
 * and compile instead of about two hundred modules, which is most of a CLI
 * call's start-up time (README, Performance), and only the chunks of the
 * command run. The bundle holds the CLI client only; the daemon, the library
 * and libp2p are loaded from dist/ as before.
 *
 * Without a bundle, or with one older than tsc's last emit (a `tsc` run
 * without the bundling step; dist/.tsbuildinfo is written by the emitting
 * build only, the test typecheck keeps its own), the modules are loaded as
 * compiled, so the CLI never runs stale code. NATTER_NO_BUNDLE=1 forces
 * that too.
 *
 * `--max-semi-space-size=2` (MB, in the `#!` line, so it applies to the
 * installed `natter` command): V8 grows the young generation to 2 × 16 MB
 * while a daemon starts (module loading keeps many objects alive) and keeps
 * that memory for good, though an idle daemon uses about 1 MB of it: the cap
 * takes a daemon from ~130 to ~105 MB RSS (README, Performance). CLI commands
 * never grow it past 1–2 MB, so they run the same; bench:scale starts its
 * daemons with the flags of this line.
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
