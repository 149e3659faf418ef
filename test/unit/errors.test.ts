import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as library from '../../src/index.js'
import { ERRORS, ERROR_NAMES, NatterError, isErrorName } from '../../src/errors.js'
import { DEFAULT_RATE_LIMITS } from '../../src/abuse/constants.js'
import type { ErrorName } from '../../src/errors.js'

function instantiate (Class: new (...args: any[]) => Error): Error { // eslint-disable-line @typescript-eslint/no-explicit-any
  // every constructor takes (message-ish, init-ish): give it what the widest one wants
  return new Class(['x'], { contact: 'c', peerId: 'p', newPeerId: 'n', reason: 'malformed', kind: 'dm' }, {})
}

describe('library errors', () => {
  it('each class in ERRORS carries the name it is listed under, and is a NatterError', () => {
    for (const [name, Class] of Object.entries(ERRORS)) {
      const err = instantiate(Class as new (...args: any[]) => Error) // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(err.name, name).toBe(name)
      expect(err, name).toBeInstanceOf(NatterError)
    }
  })

  it('every error class the library exports is in ERRORS, under one name only', () => {
    const exported = Object.entries(library).filter(([, v]) => typeof v === 'function' && (v === Error || v.prototype instanceof Error))
    expect(exported.length).toBeGreaterThan(40)
    for (const [name, Class] of exported) {
      expect(isErrorName(name), `${name} is exported but not in ERRORS`).toBe(true)
      expect(ERRORS[name as ErrorName]).toBe(Class)
    }
    expect(new Set(ERROR_NAMES).size).toBe(ERROR_NAMES.length)
    expect(isErrorName('toString')).toBe(false)
  })
})

describe('rate-limit defaults', () => {
  it('PROTOCOL.md §8.6 prints the table the code uses', () => {
    const spec = readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8')
    const section = spec.slice(spec.indexOf('### 8.6'), spec.indexOf('### 8.7'))
    const rows = [...section.matchAll(/^\| `(\w+)` [^|]*\| ([^|]+) \| ([^|]+) \|$/gm)]
    expect(rows.map(r => r[1]).sort()).toEqual(Object.keys(DEFAULT_RATE_LIMITS).sort())
    const parse = (cell: string): { rate: number, burst: number } => {
      const m = /^(\d+) per (\d+ )?s, burst ([\d ]+)$/.exec(cell.trim())
      if (m == null) throw new Error(`cannot read "${cell}"`)
      const per = m[2] == null ? 1 : Number(m[2].trim())
      return { rate: Number(m[1]) / per, burst: Number((m[3] ?? '').replace(/ /g, '')) }
    }
    for (const [, kind, contact, stranger] of rows) {
      const tiers = DEFAULT_RATE_LIMITS[kind as keyof typeof DEFAULT_RATE_LIMITS]
      expect(parse(contact ?? ''), `${kind} contact`).toEqual(tiers.contact)
      expect(parse(stranger ?? ''), `${kind} stranger`).toEqual(tiers.stranger)
    }
  })
})
