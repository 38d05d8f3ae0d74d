// Helpers of the SCIM Stream end-to-end tests: a temp work dir with a config file (reusing the TLS
// material the NATS test harness shares, so no RSA key generation per suite), a contract-checking
// JetStream subscriber with subscriber credentials, and bounded polling.
import assert from 'node:assert/strict'
import { cp, mkdtemp, writeFile, access } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { connectAs, ensureTlsFiles } from '../../lib/collector/nats/index.ts'
import type { BuiltinNats, UserCreds, UserType } from '../../lib/collector/nats/index.ts'
import type { SourceFactory } from '../../lib/collector/tenant-runtime.ts'

/** A temp dir for one suite; `certs/` pre-filled. */
export async function makeWorkDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scim-stream-e2e-'))
  const shared = join(tmpdir(), `scim-nats-test-certs-${userInfo().uid}`)
  try {
    await access(join(shared, 'server-key.pem'))
  } catch {
    await ensureTlsFiles(shared)
  }
  await cp(shared, join(dir, 'certs'), { recursive: true })
  return dir
}

/** Writes `config.yaml` in `dir` and returns its path. */
export async function writeConfig (dir: string, yaml: string, name = 'scim-stream.yaml'): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, yaml)
  return file
}

/** How to reach a server run by another process: URL, CA file and a way to issue users. */
export interface NatsAccess {
  url: string
  caFile: string
  /** TLS name to verify the server under (a configured certificate that does not name the address). */
  servername?: string
  issue: (tenant: string, type: UserType, name: string) => Promise<UserCreds>
}

/** A received message, checked against the stream contract. */
export interface Received {
  subject: string
  msgId: string
  body: {
    activityOperation: string
    activityDateTime: string
    initiatedById: string
    initiatedByUpn: string
    targetId: string
    targetUpn: string
    Operations: Array<{ op: string, path: string, value?: unknown }>
    user: Record<string, unknown> & { userName?: string, groups?: Array<{ value: string, display?: string }>, active?: boolean }
  }
}

/** A durable pull consumer with subscriber credentials on one filter. */
export interface ContractSubscriber {
  /** Fetches what arrived since the last call (bounded wait for the first message). */
  take (opts?: { expectAtLeast?: number, waitMs?: number }): Promise<Received[]>
  close (): Promise<void>
}

let seq = 0

/**
 * Subscribes as a `type` subscriber of `tenant` to `filter` (e.g. `HR.>`), checking every message
 * against the contract (Msg-Id = Nats-Msg-Id, body fields, Operations paths are strings).
 */
export async function subscribe (nats: BuiltinNats | NatsAccess, tenant: string, type: UserType, filter: string): Promise<ContractSubscriber> {
  const access: NatsAccess = 'tls' in nats
    ? { url: nats.url, caFile: nats.tls.caFile, ...(nats.tls.servername !== undefined ? { servername: nats.tls.servername } : {}), issue: async (t: string, ty: UserType, n: string) => await nats.issueUser(t, ty, n) }
    : nats
  const creds = await access.issue(tenant, type, `e2e-sub-${++seq}`)
  const nc: NatsConnection = await connectAs(access.url, creds, access.caFile, { name: `e2e-sub-${seq}`, ...(access.servername !== undefined ? { servername: access.servername } : {}) })
  const durable = `durable_e2e_${seq}_${process.pid}`
  const jsm = await jetstreamManager(nc)
  await jsm.consumers.add(tenant, { durable_name: durable, filter_subject: filter, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All })
  const consumer = await jetstream(nc).consumers.get(tenant, durable)
  return {
    async take (o = {}) {
      const want = o.expectAtLeast ?? 0
      const deadline = Date.now() + (o.waitMs ?? 15_000)
      const out: Received[] = []
      while (Date.now() < deadline) {
        let n = 0
        let batch
        try {
          batch = await consumer.fetch({ max_messages: 1000, expires: 1000 })
        } catch {
          await new Promise(resolve => setTimeout(resolve, 200)) // server restarting: try again
          continue
        }
        try {
        for await (const m of batch) {
          n++
          const msgId = m.headers?.get('Msg-Id') ?? ''
          assert.notEqual(msgId, '', `message on ${m.subject} has no Msg-Id header`)
          assert.equal(m.headers?.get('Nats-Msg-Id'), msgId, 'Nats-Msg-Id equals Msg-Id')
          const body = m.json<Received['body']>()
          for (const k of ['activityOperation', 'activityDateTime', 'initiatedById', 'initiatedByUpn', 'targetId', 'targetUpn'] as const) {
            assert.equal(typeof body[k], 'string', `${k} is a string`)
          }
          assert.ok(['createUser', 'modifyUser', 'deleteUser'].includes(body.activityOperation))
          assert.ok(Array.isArray(body.Operations))
          for (const op of body.Operations) assert.equal(typeof op.path, 'string', 'Operations[].path is a string')
          out.push({ subject: m.subject, msgId, body })
          m.ack()
        }
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err
          await new Promise(resolve => setTimeout(resolve, 200)) // heartbeats missed while reconnecting
          continue
        }
        if (n === 0 && out.length >= want) break
      }
      return out
    },
    async close () { await nc.close() }
  }
}

/** Polls `fn` until it returns a value other than undefined (bounded). */
export async function waitFor<T> (fn: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const v = await fn()
    if (v !== undefined) return v
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Group values of a received user, sorted. */
export function groupsOf (r: Received): string[] {
  return (r.body.user.groups ?? []).map(g => g.value).sort()
}

/** A free TCP port on 127.0.0.1 (for servers that must keep their port across restarts). */
export async function freePort (): Promise<number> {
  const { createServer } = await import('node:net')
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => { resolve(port) })
    })
  })
}

/**
 * A scim-stream config with one HR tenant `acme` (never collected from a real endpoint) publishing to
 * `channel`, and the builtin NATS server on `port`; `serverExtra` is inserted under `nats.server`
 * (indented four spaces: auth, certificate, encryption_at_rest_key…).
 */
export function builtinServerConfig (port: number, channel: string, serverExtra: string): string {
  return `hr:
  acme:
    auth: { base_urls: [ "http://127.0.0.1:9" ] }
    general: { collect_interval: 3600, collect_query_string: /PerPerson }
    mapper:
      user:
        - { source: personId, map_to: externalId }
        - { source: email, map_to: userName }
    streams:
      - { channel: ${channel}, rules: [ { filter: '(.*)' } ] }
nats:
  server:
    host: 127.0.0.1
    port: ${port}
${serverExtra}log:
  console: false
`
}

/** A source that yields one person (p1, ann@acme.test) per run. */
export const onePersonSource: SourceFactory = () => ({
  collect: () => ({ persons: (async function * () { yield { personId: 'p1', email: 'ann@acme.test' } })(), complete: () => true })
})
