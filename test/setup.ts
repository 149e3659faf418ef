// libp2p v3 needs Promise.withResolvers, which Node 20 lacks; the library installs it only
// in createNatter/createNetwork, and tests that build libp2p nodes by hand need it too.
import { ensurePromiseWithResolvers } from '../src/polyfill.js'

ensurePromiseWithResolvers()
