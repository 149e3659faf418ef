/**
 * The operations of the contract, each loaded when first called: the CLI's
 * client (cli/client.ts) reaches an operation through this table, so a
 * command builds the zod schemas of the area it calls (and the shared views)
 * instead of all ~40 operations' at every start (issue 15: CLI start-up).
 * The table has an entry for every operation of `api` (the compiler checks
 * each entry's type; test/unit/api-contract-lazy.test.ts checks each is the
 * same object as `api`'s).
 *
 * @module
 */
import type { Api, OperationName } from './index.js'

/** Each operation of {@link Api}, by name, loaded on demand. */
export const operationLoaders: { readonly [K in OperationName]: () => Promise<Api[K]> } = {
  id: async () => (await import('./node.js')).id,
  resolve: async () => (await import('./node.js')).resolve,
  peers: async () => (await import('./node.js')).peers,
  ping: async () => (await import('./node.js')).ping,
  connect: async () => (await import('./node.js')).connect,
  listContacts: async () => (await import('./contacts.js')).listContacts,
  addContact: async () => (await import('./contacts.js')).addContact,
  getContact: async () => (await import('./contacts.js')).getContact,
  renameContact: async () => (await import('./contacts.js')).renameContact,
  removeContact: async () => (await import('./contacts.js')).removeContact,
  safetyNumber: async () => (await import('./contacts.js')).safetyNumber,
  verifyContact: async () => (await import('./contacts.js')).verifyContact,
  acceptKey: async () => (await import('./contacts.js')).acceptKey,
  rejectKey: async () => (await import('./contacts.js')).rejectKey,
  exportIdentity: async () => (await import('./identity.js')).exportIdentity,
  send: async () => (await import('./messages.js')).send,
  history: async () => (await import('./messages.js')).history,
  markRead: async () => (await import('./messages.js')).markRead,
  inbox: async () => (await import('./inbox.js')).inbox,
  listGroups: async () => (await import('./groups.js')).listGroups,
  createGroup: async () => (await import('./groups.js')).createGroup,
  getGroup: async () => (await import('./groups.js')).getGroup,
  renameGroup: async () => (await import('./groups.js')).renameGroup,
  addGroupMember: async () => (await import('./groups.js')).addGroupMember,
  removeGroupMember: async () => (await import('./groups.js')).removeGroupMember,
  leaveGroup: async () => (await import('./groups.js')).leaveGroup,
  sendGroup: async () => (await import('./groups.js')).sendGroup,
  groupHistory: async () => (await import('./groups.js')).groupHistory,
  markGroupRead: async () => (await import('./groups.js')).markGroupRead,
  presence: async () => (await import('./presence.js')).presence,
  setPresence: async () => (await import('./presence.js')).setPresence,
  events: async () => (await import('./events.js')).events,
  requests: async () => (await import('./requests.js')).requests,
  acceptRequest: async () => (await import('./requests.js')).acceptRequest,
  declineRequest: async () => (await import('./requests.js')).declineRequest,
  blocked: async () => (await import('./requests.js')).blocked,
  block: async () => (await import('./requests.js')).block,
  unblock: async () => (await import('./requests.js')).unblock,
  config: async () => (await import('./config.js')).config,
  setConfig: async () => (await import('./config.js')).setConfig,
  stop: async () => (await import('./node.js')).stop
}

/** The reply body of an error, loaded on demand (only an error needs it). */
export async function loadApiErrorBodySchema (): Promise<typeof import('./views.js').ApiErrorBodySchema> {
  return (await import('./views.js')).ApiErrorBodySchema
}
