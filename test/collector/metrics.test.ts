// The SCIM Stream service's operations port (metrics.port) with the builtin nats-server: /healthz,
// /readyz (NATS up), /metrics after runs (runs by result, persons, published, errors), off by default,
// a taken port refused at start, the port closed again when a tenant fails to start.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { JsonObject } from '../../lib/scim/types.ts'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import type { SourceFactory } from '../../lib/collector/tenant-runtime.ts'
import { createMemoryLogger } from '../../lib/logging/index.ts'
import { freePort, makeWorkDir, writeConfig } from './support.ts'

function yaml (natsPort: number, metrics: string): string {
  return `hr:
  acme:
    auth: { base_urls: [ "http://127.0.0.1:9" ] }
    general:
      collect_interval: 3600
      collect_query_string: /PerPerson
    mapper:
      user:
        - { source: personId, map_to: externalId }
        - { source: email, map_to: userName }
    streams:
      - channel: ALL
        rules: [ { filter: '(.*)' } ]
nats:
  server:
    host: 127.0.0.1
    port: ${natsPort}
log:
  console: false
${metrics}`
}

function sample (text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{')) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

describe('SCIM Stream operations port', () => {
  let dir: string
  let svc: StreamService | undefined
  let fail = false
  const persons: JsonObject[] = [{ personId: 'p1', email: 'ann@acme.test' }, { personId: 'p2', email: 'bob@acme.test' }]
  const sources: SourceFactory = () => ({
    collect: () => ({
      persons: (async function * () {
        if (fail) throw new Error('HR source unreachable (test)')
        yield * structuredClone(persons)
      })(),
      complete: () => true
    })
  })

  before(async () => {
    dir = await makeWorkDir()
    const file = await writeConfig(dir, yaml(await freePort(), 'metrics:\n  port: 0\n'))
    svc = await startService({ configFile: file, log: createMemoryLogger(), sources, runAtStart: false, watch: false })
  })
  after(async () => {
    await svc?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('/healthz and /readyz (NATS up) answer; unknown paths 404', async () => {
    const base = svc?.metricsUrl
    assert.ok(base !== undefined)
    assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'up' })
    const r = await fetch(`${base}/readyz`)
    assert.equal(r.status, 200)
    const body = await r.json() as { status: string, nats: { builtin: boolean, tenants: Record<string, boolean> } }
    assert.equal(body.nats.builtin, true)
    assert.deepEqual(body.nats.tenants, { acme: true })
    assert.equal((await fetch(`${base}/nope`)).status, 404)
  })

  it('/metrics counts runs, persons, published messages and failed runs', async () => {
    const s = svc as StreamService
    const stats = await s.runNow('acme')
    assert.equal(stats.published, 2)
    fail = true
    await assert.rejects(s.runNow('acme'), /HR source unreachable/)
    fail = false
    const text = await (await fetch(`${s.metricsUrl ?? ''}/metrics`)).text()
    assert.equal(sample(text, 'scimstream_collector_runs_total', { tenant: 'acme', result: 'ok' }), 1)
    assert.equal(sample(text, 'scimstream_collector_runs_total', { tenant: 'acme', result: 'failed' }), 1)
    assert.equal(sample(text, 'scimstream_persons', { tenant: 'acme' }), 2)
    assert.equal(sample(text, 'scimstream_messages_published_total', { tenant: 'acme' }), 2)
    assert.equal(sample(text, 'scimstream_errors_total', { tenant: 'acme', kind: 'run_failed' }), 1)
    assert.equal(sample(text, 'scimstream_nats_up', { connection: 'builtin' }), 1)
    assert.equal(sample(text, 'scimstream_nats_up', { connection: 'acme' }), 1)
    assert.equal(sample(text, 'scimstream_collector_run_duration_seconds_count', { tenant: 'acme' }), 2)
    assert.match(text, /scimstream_process_resident_memory_bytes/)
  })
})

describe('SCIM Stream operations port: off by default, a taken port refused', () => {
  it('without metrics.port there is no port; a taken one stops the start with a clear error', async () => {
    const dir = await makeWorkDir()
    try {
      const off = await startService({ configFile: await writeConfig(dir, yaml(await freePort(), '')), log: createMemoryLogger(), sources: () => ({ collect: () => ({ persons: (async function * () {})(), complete: () => true }) }), runAtStart: false, watch: false })
      assert.equal(off.metricsUrl, undefined)
      await off.stop()
      const blocker = createServer()
      await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
      const taken = (blocker.address() as { port: number }).port
      try {
        await assert.rejects(startService({ configFile: await writeConfig(dir, yaml(await freePort(), `metrics:\n  port: ${taken}\n`), 'taken.yaml'), log: createMemoryLogger(), runAtStart: false, watch: false }), new RegExp(`metrics.port ${taken} on 127.0.0.1: .*EADDRINUSE`))
      } finally {
        await new Promise<void>(resolve => blocker.close(() => { resolve() }))
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a tenant that cannot start stops the start and closes the operations port it had opened', async () => {
    const dir = await makeWorkDir()
    try {
      const port = await freePort()
      const broken: SourceFactory = () => { throw new Error('no collector (test)') }
      await assert.rejects(startService({ configFile: await writeConfig(dir, yaml(await freePort(), `metrics:\n  port: ${port}\n`)), log: createMemoryLogger(), sources: broken, runAtStart: false, watch: false }), /no collector \(test\)/)
      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), /fetch failed/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
