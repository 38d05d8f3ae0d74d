// /healthz, /readyz and /metrics over real HTTP: unauthenticated but behind the IP allow list;
// readiness follows the plugin's health hook (and the stream's connections); metrics count requests
// by route/method/status/baseEntity, plugin errors and failed logins, in Prometheus text format.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { gatewayOptionsFromConfig } from '../../lib/core/from-config.ts'
import { loadPluginConfig } from '../../lib/config/index.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import type { PluginHealth, ScimPlugin } from '../../lib/plugins/types.ts'
import { addStreamMonitoring } from '../../lib/stream/monitoring.ts'
import type { StreamModule } from '../../lib/stream/index.ts'

const ADMIN = { authorization: 'Basic ' + Buffer.from('gwadmin:password').toString('base64') }
const running: ScimGateway[] = []
const dirs: string[] = []
after(async () => {
  for (const g of running) await g.stop()
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function start (plugin: ScimPlugin, entities: string[] = []): Promise<ScimGateway> {
  const gw = new ScimGateway({ plugin, options: { port: 0, localhostOnly: true, entities, authenticators: [basicAuthenticator([{ username: 'gwadmin', password: 'password' }])] }, log: silentLogger })
  await gw.start()
  running.push(gw)
  return gw
}

/** The value of one sample line of the Prometheus text, by metric name and label subset. */
function sample (text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

describe('probes', () => {
  it('/healthz and /readyz answer without credentials; /metrics counts requests, plugin errors and failed logins', async () => {
    const loki = createLokiPlugin({ persistence: 'memory', demoData: true, entities: ['clientA'] })
    const failing = Object.assign(Object.create(loki) as ScimPlugin, { name: 'loki', async getGroups () { throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:389'), { code: 'ECONNREFUSED' }) } })
    const gw = await start(failing, ['clientA'])
    assert.deepEqual(await (await fetch(`${gw.url}/healthz`)).json(), { status: 'up' })
    const ready = await fetch(`${gw.url}/readyz`)
    assert.equal(ready.status, 200)
    assert.equal((await ready.json() as { status: string }).status, 'ready')

    assert.equal((await fetch(`${gw.url}/Users`, { headers: ADMIN })).status, 200)
    assert.equal((await fetch(`${gw.url}/clientA/Users/nobody`, { headers: ADMIN })).status, 404)
    assert.equal((await fetch(`${gw.url}/Groups`, { headers: ADMIN })).status, 503)
    assert.equal((await fetch(`${gw.url}/Users`)).status, 401)

    const m = await fetch(`${gw.url}/metrics`)
    assert.equal(m.status, 200)
    assert.match(m.headers.get('content-type') ?? '', /^text\/plain/)
    const text = await m.text()
    assert.equal(sample(text, 'scimgateway_http_requests_total', { route: 'Users', method: 'GET', status: '200', base_entity: '' }), 1)
    assert.equal(sample(text, 'scimgateway_http_requests_total', { route: 'Users', status: '404', base_entity: 'clientA' }), 1)
    assert.equal(sample(text, 'scimgateway_http_requests_total', { route: 'Users', status: '401' }), 1)
    assert.equal(sample(text, 'scimgateway_plugin_errors_total', { method: 'getGroups', status: '503' }), 1)
    assert.equal(sample(text, 'scimgateway_auth_failures_total', { reason: 'no_credentials' }), 1)
    assert.ok((sample(text, 'scimgateway_http_request_duration_seconds_count', { route: 'Users', method: 'GET' }) ?? 0) >= 3)
    assert.match(text, /scimgateway_process_resident_memory_bytes/)
    assert.match(text, /plugin="loki"/)
  })

  it('/readyz is 503 with the reason while a plugin backend is down', async () => {
    let state: PluginHealth['entities'][string]['state'] = 'down'
    const loki = createLokiPlugin({ persistence: 'memory', demoData: false })
    const plugin = Object.assign(Object.create(loki) as ScimPlugin, { name: 'loki', async health (): Promise<PluginHealth> { return { entities: { undefined: { state, detail: state === 'down' ? 'ldaps://dc1:636 unreachable' : 'ok' } } } } })
    const gw = await start(plugin)
    const r = await fetch(`${gw.url}/readyz`)
    assert.equal(r.status, 503)
    const body = await r.json() as { status: string, checks: { plugin: { ok: boolean, detail: { entities: Record<string, { detail: string }> } } } }
    assert.equal(body.status, 'not ready')
    assert.equal(body.checks.plugin.ok, false)
    assert.equal(body.checks.plugin.detail.entities.undefined?.detail, 'ldaps://dc1:636 unreachable')
    state = 'up'
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200)
  })

  it('the probes sit behind ipAllowList', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gw-probes-'))
    dirs.push(dir)
    await writeFile(join(dir, 'plugin-probes.json'), JSON.stringify({ scimgateway: { ipAllowList: ['10.1.0.0/16'], auth: { basic: [{ username: 'gwadmin', password: 'password' }] } } }))
    const { config, configDir } = await loadPluginConfig('probes', { configDir: dir, env: { SEED: 'probes' } })
    const plugin = createLokiPlugin({ persistence: 'memory', demoData: false })
    const gw = new ScimGateway({ plugin, options: { ...gatewayOptionsFromConfig(config, [], { configDir, plugin }), port: 0, localhostOnly: true }, log: silentLogger })
    await gw.start()
    running.push(gw)
    for (const p of ['/healthz', '/readyz', '/metrics']) assert.equal((await fetch(`${gw.url}${p}`)).status, 403, p)
  })

  it('stream connections and subscribers show in /metrics and /readyz', async () => {
    const gw = await start(createLokiPlugin({ persistence: 'memory', demoData: false }))
    let connState: 'connected' | 'reconnecting' = 'reconnecting'
    const stream: StreamModule = {
      status: () => ({
        connections: [{ name: 'subscriber', state: connState, server: '127.0.0.1:4222', reconnects: 2, lastError: connState === 'connected' ? undefined : 'connection refused', since: new Date().toISOString() }],
        subscribers: [{ baseEntity: 'undefined', stream: 'mycompany', consumer: 'durable_loki_undefined', filterSubject: 'ENTRA.App1', state: 'running', applied: 41, deadLettered: 1, deadLetteredLocal: 1, deadLetterFile: '/tmp/dl.jsonl', skippedStale: 0, recovered: 0, retries: 3, held: 2, parked: 0, lastError: undefined }],
        responders: [],
        publishers: []
      }),
      stop: async () => {}
    }
    addStreamMonitoring(gw.monitor, stream)
    const r = await fetch(`${gw.url}/readyz`)
    assert.equal(r.status, 503)
    assert.match(JSON.stringify(await r.json()), /connection refused/)
    connState = 'connected'
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200)
    const text = await (await fetch(`${gw.url}/metrics`)).text()
    assert.equal(sample(text, 'scimgateway_stream_connection_up', { connection: 'subscriber' }), 1)
    assert.equal(sample(text, 'scimgateway_stream_applied_messages', { subject: 'ENTRA.App1' }), 41)
    assert.equal(sample(text, 'scimgateway_stream_dead_letters', { subject: 'ENTRA.App1' }), 1)
    assert.equal(sample(text, 'scimgateway_stream_held_messages', { subject: 'ENTRA.App1' }), 2)
  })
})
