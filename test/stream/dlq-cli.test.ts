// scripts/stream-dlq.ts end to end: a gateway dead-letters messages its endpoint rejects; the CLI
// lists them (publisher credentials from a .creds file) and replays one and then all, which the
// gateway then applies.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NatsConnection } from '@nats-io/transport-node'
import { startTestNats, DEPLOYED_LAYOUT, type TestNats } from '../support/nats.ts'
import { formatCredsFile } from '../../lib/collector/nats/index.ts'
import { ScimError } from '../../lib/scim/errors.ts'
import { streamConfig, startStreamGateway, observedLoki, userMessage, publishMessage, waitFor, getUser } from './support.ts'

const run = promisify(execFile)
const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'stream-dlq.ts')

describe('scripts/stream-dlq.ts', { timeout: 120_000 }, () => {
  let nats: TestNats
  let pub: NatsConnection
  let dir: string
  before(async () => {
    nats = await startTestNats({ tenants: ['acme'] })
    pub = await nats.connect('acme', 'publisher')
    dir = await mkdtemp(join(tmpdir(), 'scim-stream-dlq-'))
  })
  after(async () => {
    await nats.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('lists dead letters of an entity and replays one, then all', async () => {
    const o = observedLoki()
    const rejected = new Set(['r1', 'r2', 'r3'])
    const createUser = o.plugin.createUser
    o.plugin = { ...o.plugin, name: 'loki', async createUser (user, ctx) {
      if (rejected.has(String(user.userName))) throw new ScimError(400, 'invalidValue', `endpoint rejects ${String(user.userName)}`)
      return await (createUser as NonNullable<typeof createUser>)(user, ctx)
    } }
    const config = streamConfig(nats, { subscriber: { cli: { tenant: 'acme', subject: 'ENTRA.cli' } } })
    await writeFile(join(dir, 'plugin-loki.json'), JSON.stringify({
      scimgateway: { stream: { baseUrls: [nats.url], certificate: { ca: nats.caFile }, subscriber: { enabled: true, entity: { cli: { nats: config.scimgateway.stream.subscriber.entity.cli?.nats } } } } },
      endpoint: { entity: { cli: {} } }
    }))
    const credsFile = join(dir, 'publisher.creds')
    await writeFile(credsFile, formatCredsFile(nats.creds('acme', 'publisher')))
    const gw = await startStreamGateway(config, { plugin: o.plugin, stream: { subscriber: { retry: { initialMs: 50, maxMs: 100 } } } })
    try {
      for (const u of ['r1', 'r2', 'r3']) await publishMessage(pub, 'ENTRA.cli', userMessage('createUser', u))
      await waitFor('3 dead letters', () => gw.stream.status().subscribers[0]?.deadLettered === 3)
      const env = { ...process.env, SCIM_CONFIG_DIR: dir }
      const cli = async (...args: string[]): Promise<string> => (await run(process.execPath, ['--import', 'tsx', SCRIPT, ...args, '--creds', credsFile], { env, timeout: 60_000 })).stdout
      const listed = await cli('list', 'loki', 'cli')
      const lines = listed.trim().split('\n')
      assert.equal(lines.length, 4, listed)
      assert.match(lines[0] ?? '', /ENTRA\.cli\tMsg-Id=msg-.*endpoint rejects r1/)
      const firstSeq = (lines[0] ?? '').split('\t')[0] ?? ''
      rejected.clear()
      const one = await cli('replay', 'loki', 'cli', firstSeq)
      assert.match(one, /1 dead letter\(s\) replayed/)
      await waitFor('r1 applied after replay', async () => (await getUser(gw.url, 'r1', 'cli')) !== undefined)
      assert.match(await cli('list', 'loki', 'cli'), /^2 dead letter/m)
      assert.match(await cli('replay', 'loki', 'cli', 'all'), /2 dead letter\(s\) replayed/)
      await waitFor('r2, r3 applied', async () => (await getUser(gw.url, 'r2', 'cli')) !== undefined && (await getUser(gw.url, 'r3', 'cli')) !== undefined)
      assert.match(await cli('list', 'loki', 'cli'), /^0 dead letter/m)
      await assert.rejects(run(process.execPath, ['--import', 'tsx', SCRIPT, 'list'], { env, timeout: 60_000 }), /usage/)
    } finally { await gw.stop() }
  })
})

describe('scripts/stream-dlq.ts with local dead letters (tenant without a DLQ stream)', { timeout: 120_000 }, () => {
  let nats: TestNats
  let pub: NatsConnection
  let dir: string
  before(async () => {
    nats = await startTestNats({ tenants: ['acme'], ...DEPLOYED_LAYOUT })
    pub = await nats.connect('acme', 'publisher')
    dir = await mkdtemp(join(tmpdir(), 'scim-stream-dlq-local-'))
  })
  after(async () => {
    await nats.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('lists the local dead letters of entity "undefined" and replays one, then all', async () => {
    const o = observedLoki()
    const rejected = new Set(['l1', 'l2', 'l3'])
    const createUser = o.plugin.createUser
    o.plugin = { ...o.plugin, name: 'loki', async createUser (user, ctx) {
      if (rejected.has(String(user.userName))) throw new ScimError(400, 'invalidValue', `endpoint rejects ${String(user.userName)}`)
      return await (createUser as NonNullable<typeof createUser>)(user, ctx)
    } }
    const config = streamConfig(nats, { subscriber: { undefined: { tenant: 'acme', subject: 'ENTRA.local' } } })
    // the state directory the CLI derives from the config: <log directory>/stream
    await writeFile(join(dir, 'plugin-loki.json'), JSON.stringify({
      scimgateway: {
        log: { logDirectory: join(dir, 'logs') },
        stream: { baseUrls: [nats.url], certificate: { ca: nats.caFile }, subscriber: { enabled: true, entity: { undefined: { nats: config.scimgateway.stream.subscriber.entity.undefined?.nats } } } }
      },
      endpoint: { entity: { undefined: {} } }
    }))
    const credsFile = join(dir, 'publisher.creds')
    await writeFile(credsFile, formatCredsFile(nats.creds('acme', 'publisher')))
    const gw = await startStreamGateway(config, { plugin: o.plugin, stream: { stateDir: join(dir, 'logs', 'stream'), subscriber: { retry: { initialMs: 50, maxMs: 100 } } } })
    try {
      for (const u of ['l1', 'l2', 'l3']) await publishMessage(pub, 'ENTRA.local', userMessage('createUser', u))
      await waitFor('3 local dead letters', () => gw.stream.status().subscribers[0]?.deadLetteredLocal === 3)
      const env = { ...process.env, SCIM_CONFIG_DIR: dir }
      const cli = async (...args: string[]): Promise<{ stdout: string, stderr: string }> => await run(process.execPath, ['--import', 'tsx', SCRIPT, ...args, '--creds', credsFile], { env, timeout: 60_000 })
      const listed = await cli('list', 'loki', 'undefined')
      const lines = listed.stdout.trim().split('\n')
      assert.equal(lines.length, 4, listed.stdout)
      assert.match(lines[0] ?? '', /^L\d+\t.*\tENTRA\.local\tMsg-Id=msg-.*endpoint rejects l1/)
      assert.match(lines[3] ?? '', /^3 dead letter\(s\) of durable_loki_undefined: 0 in acme_DLQ, 3 local/)
      assert.match(listed.stderr, /acme_DLQ not readable/)
      const firstId = (lines[0] ?? '').split('\t')[0] ?? ''
      rejected.clear()
      assert.match((await cli('replay', 'loki', 'undefined', firstId)).stdout, /1 dead letter\(s\) replayed/)
      await waitFor('l1 applied after replay', async () => (await getUser(gw.url, 'l1', '')) !== undefined)
      assert.match((await cli('list', 'loki', 'undefined')).stdout, /^2 dead letter/m)
      assert.match((await cli('replay', 'loki', 'undefined', 'all')).stdout, /2 dead letter\(s\) replayed/)
      await waitFor('l2, l3 applied', async () => (await getUser(gw.url, 'l2', '')) !== undefined && (await getUser(gw.url, 'l3', '')) !== undefined)
      assert.match((await cli('list', 'loki', 'undefined')).stdout, /^0 dead letter/m)
      await assert.rejects(cli('replay', 'loki', 'undefined', 'L999999'), /not found/)
    } finally { await gw.stop() }
  })
})
