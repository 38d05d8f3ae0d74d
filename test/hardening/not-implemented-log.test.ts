// Issue 12 defect 7: a 501 for a method the plugin does not implement is logged at info, not error
// (an error-level line pages operators and triggers emailOnError for what is a normal answer).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { createMemoryLogger } from '../../lib/logging/memory.ts'
import type { ScimPlugin } from '../../lib/plugins/types.ts'

test('501 answers (unimplemented plugin methods, /api, /Roles) are not logged at error level', async () => {
  const log = createMemoryLogger()
  // a read-only plugin: users can be listed, nothing else is implemented
  const plugin: ScimPlugin = { name: 'readonly', async getUsers () { return { Resources: [] } } }
  const gw = new ScimGateway({ plugin, log, options: { port: 0, authenticators: [basicAuthenticator([{ username: 'a', password: 'b' }])] } })
  const headers = { authorization: 'Basic ' + Buffer.from('a:b').toString('base64'), 'content-type': 'application/scim+json' }
  const calls: Array<[string, string, string?]> = [
    ['POST', '/Users', JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'x' })],
    ['DELETE', '/Users/1'],
    ['GET', '/Groups'],
    ['GET', '/api/things'],
    ['GET', '/Roles']
  ]
  for (const [method, path, body] of calls) {
    const r = await gw.app.request(`http://gw.test${path}`, { method, headers, ...(body !== undefined ? { body } : {}) })
    assert.equal(r.status, 501, `${method} ${path}`)
  }
  const notImpl = log.lines.filter(l => /not (implemented|supported)/.test(l.message))
  assert.equal(notImpl.length, calls.length, 'each 501 is logged once with its reason')
  assert.deepEqual([...new Set(notImpl.map(l => l.level))], ['info'])
  assert.equal(log.lines.filter(l => l.level === 'error').length, 0)
})
