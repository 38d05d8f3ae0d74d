// `nats.server.use_external_server: true`: the service starts no nats-server and publishes to the
// tenant's `nats.publisher.<tenant>.urls` with the configured publisher JWT/seed and CA (here a
// separately run server, as an existing cluster would be); the tenant stream's max_age is applied.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { jetstreamManager } from '@nats-io/jetstream'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import type { SourceFactory } from '../../lib/collector/tenant-runtime.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { startTestNats, type TestNats } from '../support/nats.ts'
import { makeWorkDir, subscribe, writeConfig } from './support.ts'

describe('SCIM Stream with an external NATS server', () => {
  let nats: TestNats
  let dir: string
  let svc: StreamService | undefined
  const sources: SourceFactory = () => ({
    collect: () => ({ persons: (async function * () { yield { id: 'x1', mail: 'xena@ext.test' } })(), complete: () => true })
  })

  before(async () => {
    nats = await startTestNats({ tenants: ['ext'] })
    dir = await makeWorkDir()
    const pub = nats.creds('ext', 'publisher')
    const file = await writeConfig(dir, `hr:
  ext:
    auth: { base_urls: [ "http://127.0.0.1:9" ] }
    general: { collect_interval: 3600, collect_query_string: /PerPerson }
    mapper:
      user:
        - { source: id, map_to: externalId }
        - { source: mail, map_to: userName }
    streams:
      - { channel: USERS, rules: [ { filter: '(.*)' } ] }
nats:
  server: { use_external_server: true }
  publisher:
    ext:
      max_age: 3
      urls: [ "${nats.url}" ]
      jwt: "${pub.jwt}"
      secret: "${pub.seed}"
      ca: "${nats.caFile}"
`)
    svc = await startService({ configFile: file, log: silentLogger, sources, runAtStart: false, watch: false, env: { SEED: 'ext' } })
  })

  after(async () => {
    await svc?.stop()
    await nats?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('runs no server of its own, sets the stream max_age and publishes there', async () => {
    assert.equal((svc as StreamService).nats.builtin, undefined)
    const nc = await nats.connect('ext', 'publisher')
    const info = await (await jetstreamManager(nc)).streams.info('ext')
    assert.equal(info.config.max_age, 3 * 24 * 3600 * 1e9)
    const sub = await subscribe({ url: nats.url, caFile: nats.caFile, issue: async (t, type, name) => await nats.issue(t, type, name) }, 'ext', 'hr', 'HR.>')
    try {
      const stats = await (svc as StreamService).runNow('ext')
      assert.equal(stats.published, 1)
      const got = await sub.take({ expectAtLeast: 1 })
      assert.deepEqual(got.map(r => [r.subject, r.body.activityOperation, r.body.user.userName]), [['HR.USERS', 'createUser', 'xena@ext.test']])
    } finally {
      await sub.close()
    }
  })
})
