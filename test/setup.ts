// libp2p v3 needs Promise.withResolvers, which Node 20 lacks; tests that import
// internal modules directly (not through src/index.ts) still get the polyfill.
import '../src/polyfill.js'
