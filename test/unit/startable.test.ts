import { describe, expect, it } from 'vitest'
import { startAll, stopAll } from '../../src/util/startable.js'
import { recordingLogger } from '../helpers/logger.js'
import type { Startable } from '../../src/util/startable.js'

function service (name: string, calls: string[], fail?: 'start' | 'stop'): Startable {
  return {
    async start () { calls.push(`start ${name}`); if (fail === 'start') throw new Error(`${name} cannot start`) },
    async stop () { calls.push(`stop ${name}`); if (fail === 'stop') throw new Error(`${name} cannot stop`) }
  }
}

describe('startAll / stopAll', () => {
  it('starts in order and stops in reverse', async () => {
    const calls: string[] = []
    const all = ['a', 'b', 'c'].map(n => service(n, calls))
    await startAll(all)
    await stopAll(all)
    expect(calls).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'])
  })

  it('a failed start stops what already started, in reverse, and rethrows', async () => {
    const calls: string[] = []
    await expect(startAll([service('a', calls), service('b', calls), service('c', calls, 'start'), service('d', calls)])).rejects.toThrow('c cannot start')
    expect(calls).toEqual(['start a', 'start b', 'start c', 'stop b', 'stop a'])
  })

  it('one service failing to stop does not keep the others running', async () => {
    const calls: string[] = []
    const logger = recordingLogger()
    await stopAll([service('a', calls), service('b', calls, 'stop'), service('c', calls)], logger.forComponent('t'))
    expect(calls).toEqual(['stop c', 'stop b', 'stop a'])
    expect(logger.lines).toMatchObject([{ level: 'error', text: 'a service failed to stop: b cannot stop' }])
  })
})
