// ScimGateway.health() around the plugin's hook: no hook = up; a hook that throws or hangs = down
// (bounded by the plugin timeout, never hanging the probe); mixed entity states = degraded.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ScimPlugin } from '../../lib/plugins/types.ts'
import { startTestGateway } from '../support/gateway.ts'

const cases: Array<{ name: string, plugin: ScimPlugin, status: string, detail?: RegExp }> = [
  { name: 'no health hook', plugin: { name: 'plain' }, status: 'up' },
  { name: 'all up or idle', plugin: { name: 'p', health: async () => ({ entities: { undefined: { state: 'up' }, a: { state: 'idle' } } }) }, status: 'up' },
  { name: 'one of two down', plugin: { name: 'p', health: async () => ({ entities: { undefined: { state: 'up' }, a: { state: 'down', detail: 'refused' } } }) }, status: 'degraded' },
  { name: 'all down', plugin: { name: 'p', health: async () => ({ entities: { a: { state: 'down' } } }) }, status: 'down' },
  { name: 'hook throws', plugin: { name: 'p', health: async () => { throw new Error('probe crashed') } }, status: 'down', detail: /probe crashed/ },
  { name: 'hook hangs', plugin: { name: 'p', health: async () => await new Promise(() => {}) }, status: 'down', detail: /did not answer within 300 ms/ }
]

for (const c of cases) {
  test(`ScimGateway.health(): ${c.name} → ${c.status}`, async () => {
    const gw = await startTestGateway({ plugin: c.plugin, options: { allowAnonymous: true, pluginTimeoutMs: 300 } })
    try {
      const h = await gw.gateway.health()
      assert.equal(h.status, c.status)
      assert.equal(h.plugin, c.plugin.name)
      if (c.detail !== undefined) assert.match(h.entities['*']?.detail ?? '', c.detail)
    } finally { await gw.stop() }
  })
}
