/**
 * The lazily loaded contract (node/api/contract/lazy.ts) is the contract:
 * an entry for every operation of `api`, none more, each loading the very
 * operation `api` lists under that name.
 */
import { describe, expect, it } from 'vitest'
import { api } from '../../node/api/contract/index.js'
import { ApiErrorBodySchema } from '../../node/api/contract/views.js'
import { loadApiErrorBodySchema, operationLoaders } from '../../node/api/contract/lazy.js'

describe('the lazily loaded API contract', () => {
  it('has every operation of the contract, and loads the same declaration', async () => {
    expect(Object.keys(operationLoaders).sort()).toEqual(Object.keys(api).sort())
    for (const [name, load] of Object.entries(operationLoaders)) {
      expect(await load(), name).toBe(api[name as keyof typeof api])
    }
    expect(await loadApiErrorBodySchema()).toBe(ApiErrorBodySchema)
  })
})
