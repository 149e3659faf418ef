import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

describe('README', () => {
  it('the library example runs as written against the built package', () => {
    const readme = readFileSync(new URL('README.md', `file://${ROOT}`), 'utf8')
    const section = readme.slice(readme.indexOf('## Embedding the library'))
    const match = /```ts\n([\s\S]*?)```/.exec(section)
    expect(match).not.toBeNull()
    // the example is TypeScript-flavoured JavaScript; it imports the package by name,
    // which Node resolves to this package (self-reference through "exports")
    const file = `${ROOT}dist/readme-example.mjs`
    writeFileSync(file, match![1]!)
    try {
      const run = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 })
      expect(run.stderr).toBe('')
      expect(run.status).toBe(0)
      expect(run.stdout).toContain('says: hello, bob')
      expect(run.stdout).toContain('delivered')
      expect(run.stdout).toContain("[ 'hello, bob' ]")
    } finally {
      rmSync(file, { force: true })
    }
  })
})
