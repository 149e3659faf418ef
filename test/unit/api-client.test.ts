/**
 * The CLI's client against the real API server, both bound to the contract:
 * the daemon's real handlers over a stand-in node facade, on loopback TCP.
 * Typed calls by operation name, path parameters encoded, replies checked
 * against the contract, error replies turned into named errors.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ContactNotFoundError, IdentityKeyChangedError } from '../../src/index.js'
import { ApiClient } from '../../cli/client.js'
import { apiRoutes } from '../../node/api/routes/index.js'
import { createApiServer } from '../../node/api/server.js'
import type { ContactView, MessageView } from '../../node/api/contract/index.js'
import type { ApiServer } from '../../node/api/server.js'
import type { NodeFacade } from '../../node/node-api.js'

const TOKEN = 'a'.repeat(64)
const PEER = '12D3KooWBPJeKXz4LuC8a96cmH8JriNLtk4PwpejLQa6UHpqwivd'

const contact = (name: string): ContactView => ({
  name, peerId: PEER, addedAt: 1, verified: false, blocked: false, addresses: [], identityKey: null,
  keyChanged: false, pendingPeerId: null, pendingIdentityKey: null
})

/** Just what the operations under test use; anything else is a test bug. */
function facade (overrides: Partial<NodeFacade> & { renamed?: (key: string, name: string) => void } = {}): NodeFacade {
  const contacts: Partial<NodeFacade['contacts']> = {
    get: (key) => key === 'bob/ ?' ? contact('bob/ ?') : undefined,
    rename: (key, name) => { overrides.renamed?.(key, name); return contact(name) }
  }
  return {
    peerId: PEER,
    contacts,
    resolvePeer: (value: string) => {
      if (value !== 'bob' && value !== PEER) {
        throw new ContactNotFoundError(`${value} is not a contact`)
      }
      return PEER
    },
    nameOf: () => 'bob',
    ...overrides
  } as unknown as NodeFacade
}

describe('API client and server, bound to the contract', () => {
  let server: ApiServer | undefined
  afterEach(async () => { await server?.stop() })

  async function connect (node: NodeFacade, token = TOKEN): Promise<ApiClient> {
    server = createApiServer({ address: { transport: 'tcp', host: '127.0.0.1', port: 0 }, token: TOKEN, routes: apiRoutes({ facade: node, home: '/h', name: '', requestStop: () => {}, configPath: '/h/config.json', applyConfig: () => {} }) })
    const endpoint = await server.start()
    return new ApiClient({ home: '/h', endpoint, token, timeoutMs: 10_000 })
  }

  it('calls an operation by name: path parameters encoded, body sent, reply typed and checked', async () => {
    const renamed: Array<[string, string]> = []
    const client = await connect(facade({ renamed: (key, name) => renamed.push([key, name]) }))
    const reply = await client.api.renameContact({ params: { contact: 'bob/ ?' }, body: { name: 'robert' } })
    expect(reply.contact.name).toBe('robert')
    expect(renamed).toEqual([['bob/ ?', 'robert']])
    expect(await client.api.resolve({ query: { peer: 'bob' } })).toEqual({ peerId: PEER, name: 'bob' })
  })

  it('a reply that does not match the contract is a ProtocolError, not a silent surprise', async () => {
    const bad = { id: 'ab', peer: PEER, direction: 'in', text: 'x', seq: 1, sentAt: 1, receivedAt: 1, state: 'lost' } as unknown as MessageView
    const client = await connect(facade({ history: () => [bad] }))
    await expect(client.api.history({ query: { peer: 'bob' } })).rejects.toMatchObject({
      name: 'ProtocolError',
      message: expect.stringContaining('messages.0.state')
    })
  })

  it('error replies carry the daemon\'s error name, status and details', async () => {
    const held = new IdentityKeyChangedError('held', { contact: 'bob', peerId: PEER, newPeerId: 'new' })
    held.messageId = 'ff'
    const client = await connect(facade({ send: async () => { throw held } }))
    await expect(client.api.send({ body: { to: 'carol', text: 'hi' } })).rejects.toMatchObject({ name: 'IdentityKeyChangedError', status: 409, details: { contact: 'bob', peerId: PEER, newPeerId: 'new', messageId: 'ff' } })
    await expect(client.api.resolve({ query: { peer: 'carol' } })).rejects.toMatchObject({ name: 'ContactNotFoundError', status: 404 })
    // the request is checked against the same schema on the server
    await expect(client.api.send({ body: { to: 'bob', text: '' } })).rejects.toMatchObject({ name: 'BadRequestError', status: 400, message: 'text: must not be empty' })
  })

  it('a wrong token is AuthRefusedError', async () => {
    const client = await connect(facade(), 'b'.repeat(64))
    await expect(client.api.id()).rejects.toMatchObject({ name: 'AuthRefusedError' })
  })
})
