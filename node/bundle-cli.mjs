// (node/bundle-cli.mjs: the last step of `npm run build`, after tsc.)
// Bundles the CLI client (dist/cli/main.js and everything it imports, the
// lazily imported commands included) into dist/cli/natter.bundle.js, which
// dist/cli/index.js runs, and its chunks beside it (natter.chunk-*.js). A CLI
// call is mostly Node starting and loading modules: a few files instead of
// ~200 takes the ESM loader's per-file resolve/read/compile out of every call
// (README, Performance), and code splitting keeps each lazily imported part
// (a command, one area of the API contract and its zod schemas, zod itself)
// in its own chunk, so a call reads and compiles what it runs and no more
// (a single file made every call compile all commands and the whole contract).
//
// What only the daemon needs stays outside, loaded from dist/ as compiled:
// the daemon, the library (src/index.js and libp2p), the key store and the
// conformance kit, every package with native code, and qrcode-terminal
// (sloppy-mode CommonJS; it is loaded only to draw a code).
import { readdir, rm } from 'node:fs/promises'
import { basename, dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { rolldown } from 'rolldown'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')
const outFile = join(dist, 'cli', 'natter.bundle.js')
/** The bundle's other chunks, beside it: what one command imports lazily (its own code, the API contract, zod). */
const CHUNK_PREFIX = 'natter.chunk-'

/** dist/ files the bundle must not contain: the daemon side, loaded on demand. */
const DAEMON_SIDE = [
  'node/daemon.js',
  'node/keys.js',
  'src/index.js',
  'src/conformance/index.js'
].map(p => join(dist, ...p.split('/')))

/**
 * Packages loaded from node_modules rather than carried in the bundle: native
 * code, and qrcode-terminal (sloppy-mode CommonJS the bundler cannot parse).
 * Every other package the client reaches is pure JavaScript and bundled: an
 * external import would be hoisted to the bundle's top and load at every call.
 */
const EXTERNAL_PACKAGES = new Set(['better-sqlite3', 'node-pty', 'qrcode-terminal'])

function packageName (id) {
  const parts = id.split('/')
  return id.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

export async function bundleCli () {
  const external = (id, importer, isResolved) => {
    if (id.startsWith('node:')) {
      return true
    }
    if (!isResolved && !id.startsWith('.') && !id.startsWith('/')) {
      return EXTERNAL_PACKAGES.has(packageName(id))
    }
    return isResolved && DAEMON_SIDE.includes(id)
  }
  const build = await rolldown({
    input: join(dist, 'cli', 'main.js'),
    platform: 'node',
    external,
    logLevel: 'warn',
    treeshake: true
  })
  try {
    // stale chunks of an earlier build would only take space: the entry names the ones it needs
    for (const name of await readdir(dirname(outFile))) {
      if (name.startsWith(CHUNK_PREFIX)) {
        await rm(join(dirname(outFile), name), { force: true })
      }
    }
    await build.write({
      dir: dirname(outFile),
      entryFileNames: basename(outFile),
      chunkFileNames: `${CHUNK_PREFIX}[name]-[hash].js`,
      format: 'esm',
      // half the bytes to scan at each start; NATTER_NO_BUNDLE=1 (or
      // node --enable-source-maps with the map written here) for readable stacks
      minify: true,
      sourcemap: true,
      // externals from dist/ are imported relative to the bundle's folder
      paths: (id) => {
        if (id.startsWith(dist + sep)) {
          const rel = relative(dirname(outFile), id).split(sep).join('/')
          return rel.startsWith('.') ? rel : `./${rel}`
        }
        return id
      }
    })
  } catch (err) {
    await rm(outFile, { force: true })
    throw err
  } finally {
    await build.close()
  }
  return outFile
}

if (process.argv[1] != null && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundleCli()
}
