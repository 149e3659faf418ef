/**
 * The daemon's config.json takes the library's options through the
 * library's own schema (src/options.ts): valid ones reach the resolved
 * config untouched, bad ones are refused naming the field.
 */
import { describe, expect, it } from 'vitest'
import { NatterOptionsSchema } from '../../src/index.js'
import { parseConfigFile, parseOverrides, resolveConfig } from '../../node/config.js'

describe('daemon config: library options', () => {
  it('passes every option of the library schema through, and leaves unset ones out', () => {
    const file = parseConfigFile(JSON.stringify({
      mdns: false,
      readReceipts: true,
      mailbox: false,
      durability: 'full',
      powDifficulty: 12,
      mailboxQuotas: { maxTotalBytes: 1_000_000 },
      rateLimits: { dm: { stranger: { rate: 0.5, burst: 2 } } }
    }))
    const config = resolveConfig(file, parseOverrides({}), '/home/me')
    expect(config.options).toEqual({
      readReceipts: true,
      mailbox: false,
      durability: 'full',
      powDifficulty: 12,
      mailboxQuotas: { maxTotalBytes: 1_000_000 },
      rateLimits: { dm: { stranger: { rate: 0.5, burst: 2 } } }
    })
    expect(Object.keys(resolveConfig(parseConfigFile('{}'), {}, '/home/me').options)).toEqual([])
  })

  it('names the bad field, the library\'s wording', () => {
    expect(() => parseConfigFile('{"powDifficulty": 99}')).toThrow('config.json: powDifficulty: must be at most 32 (each bit doubles the work)')
    expect(() => parseConfigFile('{"durability": "sometimes"}')).toThrow('config.json: durability: not "normal" or "full"')
    expect(() => parseConfigFile('{"readReceipts": "yes"}')).toThrow('config.json: readReceipts: not true or false')
    expect(() => parseConfigFile('{"mailboxQuotas": {"maxTotalBytes": -1}}')).toThrow('config.json: mailboxQuotas.maxTotalBytes: must be above 0')
    expect(() => parseConfigFile('{"readReceipt": true}')).toThrow(/unknown field "readReceipt" \(known: .*readReceipts/)
  })

  it('is the schema the library exports, field for field', () => {
    const known = Object.keys(NatterOptionsSchema.shape)
    expect(known).toEqual(expect.arrayContaining(['readReceipts', 'mailbox', 'durability', 'powDifficulty']))
    for (const key of known) {
      expect(() => parseConfigFile(JSON.stringify({ [key]: { surely: 'not valid' } })), key).toThrow(new RegExp(`config.json: ${key}`))
    }
  })
})
