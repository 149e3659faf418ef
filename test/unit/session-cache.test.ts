/**
 * The LRU of decrypted session sets (src/sessions/session-cache.ts): bounded,
 * least recently used dropped first, 0 disables it.
 */
import { describe, expect, it } from 'vitest'
import { createSessionCache } from '../../src/sessions/session-cache.js'

describe('session cache', () => {
  it('keeps at most max peers, dropping the least recently used', () => {
    const cache = createSessionCache(2)
    const a: never[] = []
    const b: never[] = []
    const c: never[] = []
    cache.set('a', a)
    cache.set('b', b)
    expect(cache.get('a')).toBe(a) // a is now the most recently used
    cache.set('c', c)
    expect(cache.size).toBe(2)
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')).toBe(a)
    expect(cache.get('c')).toBe(c)
    cache.delete('a')
    expect(cache.get('a')).toBeUndefined()
    cache.clear()
    expect(cache.size).toBe(0)
  })

  it('holds nothing with max 0', () => {
    const cache = createSessionCache(0)
    cache.set('a', [])
    expect(cache.get('a')).toBeUndefined()
    expect(cache.size).toBe(0)
  })
})
