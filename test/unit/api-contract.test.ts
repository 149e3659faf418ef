/**
 * The control API contract against what is derived from it: node/API.md,
 * the server's routes, and the client's calls.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { api, requestPath } from '../../node/api/contract/index.js'
import { apiDocPath, generatedBlocks, markers } from '../../node/api/doc.js'
import { STATUS } from '../../node/api/errors.js'
import { apiRoutes } from '../../node/api/routes/index.js'
import type { Operation } from '../../node/api/contract/index.js'
import type { NodeFacade } from '../../node/node-api.js'

const operations = Object.entries(api) as Array<[string, Operation]>

describe('control API contract', () => {
  it('node/API.md carries the tables generated from the contract (run `npm run api-doc` after changing it)', async () => {
    const text = await readFile(apiDocPath(), 'utf8')
    for (const [name, block] of Object.entries(generatedBlocks())) {
      const { begin, end } = markers(name)
      const from = text.indexOf(begin)
      const to = text.indexOf(end)
      expect(from, `marker ${begin}`).toBeGreaterThanOrEqual(0)
      expect(text.slice(from + begin.length + 1, to - 1), `block ${name}`).toBe(block)
    }
  })

  it('node/API.md has a section for every operation, and none for an operation that does not exist', async () => {
    const text = await readFile(apiDocPath(), 'utf8')
    const headingLines = text.split('\n').filter(line => line.startsWith('### '))
    const headings = headingLines.flatMap(line => [...line.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/v1\/[^`?[]*)/g)].map(m => `${m[1]} ${m[2]}`))
    const declared = operations.map(([, op]) => `${op.method} ${op.path}`)
    // a few operations share a section ("Key changes")
    const sharedSections = new Set(['POST /v1/contacts/:contact/accept-key', 'POST /v1/contacts/:contact/reject-key'])
    for (const op of declared) {
      if (!sharedSections.has(op)) {
        expect(headings, `a ### section for ${op}`).toContain(op)
      } else {
        expect(text).toContain(`\`${op}\``)
      }
    }
    for (const heading of headings) {
      expect(declared, `${heading} is documented but not in the contract`).toContain(heading)
    }
  })

  it('declares each method and path once, with errors that all have an HTTP status', () => {
    const keys = operations.map(([, op]) => `${op.method} ${op.path}`)
    expect(new Set(keys).size).toBe(keys.length)
    for (const [name, op] of operations) {
      expect(op.path.startsWith('/v1/'), name).toBe(true)
      for (const error of op.errors) {
        expect(Object.hasOwn(STATUS, error), `${name}: ${error}`).toBe(true)
      }
    }
  })

  it('binds one server route to every operation', () => {
    const routes = apiRoutes({ facade: {} as NodeFacade, home: '/nowhere', name: '', requestStop: () => {}, configPath: '/nowhere/config.json', applyConfig: () => {} })
    expect(routes.map(r => `${r.method} ${r.path}`)).toEqual(operations.map(([, op]) => `${op.method} ${op.path}`))
  })

  it('builds request paths with encoded parameters and without undefined query fields', () => {
    expect(requestPath(api.renameContact, { contact: 'bob/alice ?' }, undefined)).toBe('/v1/contacts/bob%2Falice%20%3F')
    expect(requestPath(api.history, undefined, { peer: 'bob', limit: 5, before: undefined })).toBe('/v1/history?peer=bob&limit=5')
    expect(() => requestPath(api.acceptKey, {}, undefined)).toThrow(/missing path parameter :contact/)
  })

  it('checks requests with the same messages the API always gave', () => {
    expect(api.send.body.safeParse({ to: 'bob', text: '' }).error?.issues[0]?.message).toBe('must not be empty')
    expect(api.send.body.safeParse({ to: 'bob', text: 'hi', extra: 1 }).success).toBe(false)
    expect(api.history.query.parse({ peer: 'bob', limit: '20' })).toEqual({ peer: 'bob', limit: 20 })
    expect(api.history.query.safeParse({ peer: 'bob', limit: '0' }).error?.issues[0]?.message).toBe('must be at least 1')
  })
})
