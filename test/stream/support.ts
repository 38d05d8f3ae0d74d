// Test support of the stream module suites: a real gateway (plugin-loki in memory, real HTTP on a
// free port) with its stream module, built from a validated config that points at the suite's
// nats-server; an observing plugin wrapper (write order per user, injectable transient outage);
// contract messages; polling with a deadline.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { headers } from '@nats-io/transport-node'
import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { gatewayConfigSchema, validate, type GatewayConfig } from '../../lib/config/index.ts'
import { ScimGateway } from '../../lib/core/gateway.ts'
import { gatewayOptionsFromConfig } from '../../lib/core/from-config.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import type { ScimPlugin } from '../../lib/plugins/types.ts'
import { ScimError } from '../../lib/scim/errors.ts'
import { silentLogger, type Logger } from '../../lib/logging/types.ts'
import { startStream, withStreamOptions, type StreamModule, type StreamModuleOptions } from '../../lib/stream/index.ts'
import type { TestNats } from '../support/nats.ts'
import type { UserType } from '../../lib/collector/nats/index.ts'

export const BASIC = { username: 'gwadmin', password: 'gw-secret-1' }
export const AUTH_HEADER = `Basic ${Buffer.from(`${BASIC.username}:${BASIC.password}`).toString('base64')}`

/** One entity of the stream config. */
export interface EntitySpec {
  tenant: string
  subject: string
  /** Collector type whose credentials to use (default: from the subject). */
  type?: UserType
  /** Explicit credentials (e.g. another tenant's). */
  creds?: { jwt: string, seed: string }
  options?: Record<string, unknown>
}

/** Builds and validates a plugin config with a stream section. */
export function streamConfig (nats: TestNats, spec: { subscriber?: Record<string, EntitySpec>, publisher?: Record<string, EntitySpec>, publisherTimeout?: number, chunking?: Record<string, number>, entities?: string[] }): GatewayConfig {
  const natsOf = (e: EntitySpec, fallback: UserType): Record<string, string> => {
    const c = e.creds ?? nats.creds(e.tenant, e.type ?? fallback)
    return { tenant: e.tenant, subject: e.subject, jwt: c.jwt, secret: c.seed }
  }
  const typeOf = (subject: string): UserType => subject.startsWith('GW.') ? 'gw' : subject.startsWith('HR.') ? 'hr' : 'entra'
  const raw = {
    scimgateway: {
      localhostonly: true,
      auth: { basic: [{ username: BASIC.username, password: BASIC.password }] },
      stream: {
        baseUrls: [nats.url],
        certificate: { ca: nats.caFile },
        subscriber: {
          enabled: spec.subscriber !== undefined,
          ...(spec.chunking !== undefined ? { chunking: spec.chunking } : {}),
          entity: Object.fromEntries(Object.entries(spec.subscriber ?? {}).map(([k, e]) => [k, { nats: natsOf(e, typeOf(e.subject)), ...e.options }]))
        },
        publisher: {
          enabled: spec.publisher !== undefined,
          ...(spec.publisherTimeout !== undefined ? { timeout: spec.publisherTimeout } : {}),
          entity: Object.fromEntries(Object.entries(spec.publisher ?? {}).map(([k, e]) => [k, { nats: natsOf(e, 'gwpublisher'), ...e.options }]))
        }
      }
    },
    endpoint: { entity: Object.fromEntries((spec.entities ?? Object.keys(spec.subscriber ?? {})).map(e => [e, {}])) }
  }
  const r = validate(gatewayConfigSchema, raw)
  if (!r.ok) throw new Error(`test config invalid: ${JSON.stringify(r.errors)}`)
  return r.value
}

/** A gateway with its stream module. */
export interface StreamGateway {
  gateway: ScimGateway
  stream: StreamModule
  url: string
  /** Directory of the module's state (journal, local dead letters). */
  stateDir: string
  stop (): Promise<void>
}

/** Starts a gateway + stream module from `config`. */
export async function startStreamGateway (config: GatewayConfig, opts: { plugin?: ScimPlugin, log?: Logger, stream?: StreamModuleOptions } = {}): Promise<StreamGateway> {
  const plugin = opts.plugin ?? createLokiPlugin({ persistence: 'memory', demoData: false })
  const log = opts.log ?? silentLogger
  // the module's state (order journal, local dead letters) in a temp dir unless the test names one
  const ownState = opts.stream?.stateDir === undefined ? await mkdtemp(join(tmpdir(), 'scim-stream-state-')) : undefined
  const streamOpts: StreamModuleOptions = { ...opts.stream, stateDir: opts.stream?.stateDir ?? ownState }
  const options = withStreamOptions(config, { ...gatewayOptionsFromConfig(config), port: 0, localhostOnly: true }, streamOpts)
  const gateway = new ScimGateway({ plugin, options, log })
  await gateway.start()
  const stream = await startStream(gateway, config, log, streamOpts)
  return {
    gateway, stream, url: gateway.url, stateDir: streamOpts.stateDir as string,
    async stop () {
      await stream.stop()
      await gateway.stop()
      if (ownState !== undefined) await rm(ownState, { recursive: true, force: true })
    }
  }
}

/** Writes seen by a plugin, in order: `${userName}:${title}` per successful create/modify/delete. */
export interface ObservedPlugin {
  plugin: ScimPlugin
  writes: string[]
  /** Writes per userName (titles in application order). */
  titlesOf (userName: string): string[]
  /** Every call fails with 503 while true. */
  down: boolean
}

/** Wraps plugin-loki (memory) to observe writes and simulate an endpoint outage. */
export function observedLoki (): ObservedPlugin {
  const loki = createLokiPlugin({ persistence: 'memory', demoData: false })
  const o: ObservedPlugin = {
    plugin: loki,
    writes: [],
    down: false,
    titlesOf: (u) => o.writes.filter(w => w.startsWith(`${u}:`)).map(w => w.slice(u.length + 1))
  }
  const guard = (): void => { if (o.down) throw new ScimError(503, undefined, 'endpoint unavailable (test)') }
  o.plugin = {
    ...loki,
    name: loki.name,
    async getUsers (q, ctx) { guard(); return await must(loki.getUsers)(q, ctx) },
    async createUser (user, ctx) {
      guard()
      const r = await must(loki.createUser)(user, ctx)
      o.writes.push(`${String(user.userName)}:${String(user.title ?? '')}`)
      return r
    },
    async modifyUser (id, mod, ctx) {
      guard()
      const r = await must(loki.modifyUser)(id, mod, ctx)
      o.writes.push(`${String(mod.resource.userName)}:${String(mod.resource.title ?? '')}`)
      return r
    },
    async deleteUser (id, ctx) { guard(); await must(loki.deleteUser)(id, ctx) }
  }
  return o
}

function must<F> (f: F | undefined): F {
  if (f === undefined) throw new Error('plugin-loki method missing')
  return f
}

let counter = 0
/** A contract message body for `userName`. */
export function userMessage (activityOperation: 'createUser' | 'modifyUser' | 'deleteUser', userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    activityOperation,
    activityDateTime: new Date().toISOString(),
    Operations: [],
    user: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true, ...extra }
  }
}

/** Publishes a message with Msg-Id (and Nats-Msg-Id) to JetStream; returns the Msg-Id. */
export async function publishMessage (nc: NatsConnection, subject: string, body: unknown, opts: { msgId?: string | null } = {}): Promise<string> {
  const id = opts.msgId === undefined ? `msg-${process.pid}-${Date.now()}-${++counter}` : opts.msgId
  const h = headers()
  if (id !== null) { h.set('Msg-Id', id); h.set('Nats-Msg-Id', id) }
  await jetstream(nc).publish(subject, typeof body === 'string' ? body : JSON.stringify(body), { headers: h })
  return id ?? ''
}

/** Polls `check` until it returns true (deadline `ms`, default 15 s). */
export async function waitFor (what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

/** GET a user by userName through HTTP; undefined when absent. */
export async function getUser (url: string, userName: string, entity: string): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`${url}/${entity}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, { headers: { authorization: AUTH_HEADER } })
  const body = await res.json() as { Resources?: Array<Record<string, unknown>> }
  return body.Resources?.[0]
}

/** An HTTP call with the test gateways' Basic credentials; the body parsed when it is JSON. */
export interface Called { status: number, headers: Headers, body: Record<string, unknown> | undefined, text: string }

export async function call (url: string, method: string, path: string, body?: unknown): Promise<Called> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: AUTH_HEADER, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {})
  })
  const text = await res.text()
  let parsed: Record<string, unknown> | undefined
  try { parsed = text === '' ? undefined : JSON.parse(text) as Record<string, unknown> } catch { parsed = undefined }
  return { status: res.status, headers: res.headers, body: parsed, text }
}
