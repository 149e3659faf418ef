/**
 * Settings: the fields of `config.json` that `natter config` shows and
 * changes. `PATCH` validates with the daemon's config schema (a bad field is
 * a `ConfigError` naming it), applies the live settings at once and says
 * which wait for the next start.
 *
 * @module
 */
import { z } from 'zod'
import { operation } from './operation.js'

/** The settings `natter config` shows and changes (the fields of `config.json`). */
export const ConfigViewSchema = z.strictObject({
  listen: z.array(z.string()),
  announce: z.array(z.string()),
  bootstrap: z.array(z.string()),
  api: z.string(),
  logLevel: z.enum(['error', 'warn', 'info', 'debug']),
  mdns: z.boolean(),
  name: z.string(),
  readReceipts: z.boolean(),
  notify: z.enum(['bell', 'desktop', 'off']),
  /** Who sees your presence: contacts (default), invisible (nobody) or public (anyone; for bots). */
  presenceVisibility: z.enum(['invisible', 'contacts', 'public']),
  /** Where the node runs: internet (relays, AutoNAT, UPnP) or local (one machine or LAN). */
  network: z.enum(['internet', 'local']),
  /** Ask the router for a port mapping with UPnP (internet mode). */
  upnp: z.boolean(),
  /** Relay for other peers when publicly reachable (internet mode). */
  relayServer: z.boolean()
})
export type ConfigView = z.infer<typeof ConfigViewSchema>

const ConfigReply = z.strictObject({
  /** The file's settings with defaults filled in. */
  config: ConfigViewSchema,
  /** Where the file is. */
  path: z.string(),
  /** Settings changed by this request that take effect at the next start of the daemon. */
  restartNeeded: z.array(ConfigViewSchema.keyof())
})

/** `GET /v1/config`. */
export const config = operation({
  method: 'GET',
  path: '/v1/config',
  summary: 'the settings of config.json, defaults filled in',
  reply: ConfigReply,
  errors: ['ConfigError']
})

/** `PATCH /v1/config`: some fields of `config.json` (validated by the daemon's config schema). */
export const setConfig = operation({
  method: 'PATCH',
  path: '/v1/config',
  summary: 'change settings (live ones at once)',
  // the daemon's config schema checks the fields, naming a bad one in a ConfigError
  body: z.record(z.string(), z.unknown(), { error: 'must be an object of settings' }),
  reply: ConfigReply,
  errors: ['ConfigError']
})
