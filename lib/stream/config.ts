// Turns the validated `scimgateway.stream` config into what the stream module runs: one plan per
// subscribing entity (JetStream consumer or GW responder) and per publishing entity, plus the
// connection settings. Problems are reported together with their config paths.
import { readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import type { GatewayConfig } from '../config/gateway-schema.ts'
import { ConfigError, type ConfigProblem } from '../config/errors.ts'
import { subjectKind } from './contract/naming.ts'

/** NATS credentials of one entity: user JWT + user nkey seed (`SU…`). */
export interface NatsUser {
  tenant: string
  subject: string
  jwt: string
  seed: string
}

/** Options of a JetStream-subscribing entity (the per-entity switches of the contract). */
export interface SubscriberEntityOptions {
  deleteUserOnLastGroupRoleRemoval: boolean
  skipConvertRolesToGroups: boolean
  generateUserPassword: boolean
  modifyOnly: boolean
  replaceDomains: Array<{ from: string, to: string }>
}

/** One configured subscriber entity. */
export interface SubscriberPlan {
  baseEntity: string
  kind: 'jetstream' | 'gw'
  nats: NatsUser
  options: SubscriberEntityOptions
}

/** One configured publisher entity (forwards HTTP requests to `GW.<channel>`). */
export interface PublisherPlan {
  baseEntity: string
  nats: NatsUser
  /**
   * Reply timeout in ms: `publisher.entity.<baseEntity>.timeout`, else `publisher.timeout`;
   * undefined = the module's default (StreamModuleOptions.gwTimeoutMs, else 60 000).
   */
  timeoutMs: number | undefined
}

/** The stream module's resolved configuration. */
export interface StreamPlan {
  servers: string[]
  /** CA certificate PEM the NATS server's certificate must chain to (undefined = system CAs). */
  caPem: string | undefined
  caFile: string | undefined
  subscribers: SubscriberPlan[]
  publishers: PublisherPlan[]
  /** GW responders' limits for chunked requests (`subscriber.chunking`); unset keys keep the defaults. */
  gwChunking: { maxTransfers?: number, maxBytes?: number, maxRequestBytes?: number, idleMs?: number }
}

/**
 * Resolves the stream section of a plugin config. `configDir` locates `certs/<ca file>`.
 * @throws ConfigError listing every problem
 */
export function streamPlanFromConfig (config: GatewayConfig, configDir?: string): StreamPlan {
  const st = config.scimgateway.stream
  const problems: ConfigProblem[] = []
  const subscribers: SubscriberPlan[] = []
  const publishers: PublisherPlan[] = []
  const user = (path: string, n: { tenant?: string | undefined, subject?: string | undefined, jwt?: string | undefined, secret?: string | undefined }): NatsUser | undefined => {
    if (n.tenant === undefined || n.subject === undefined || n.jwt === undefined || n.secret === undefined) {
      problems.push({ path, message: 'tenant, subject, jwt and secret are required' })
      return undefined
    }
    return { tenant: n.tenant, subject: n.subject, jwt: n.jwt, seed: n.secret }
  }
  if (st.subscriber.enabled) {
    for (const [baseEntity, e] of Object.entries(st.subscriber.entity)) {
      const path = `scimgateway.stream.subscriber.entity.${baseEntity}.nats`
      const nats = user(path, e.nats)
      if (nats === undefined) continue
      const kind = subjectKind(nats.subject)
      if (kind === undefined) {
        problems.push({ path: `${path}.subject`, message: `"${nats.subject}" is not an ENTRA.<channel>, HR.<channel> or GW.<channel> subject` })
        continue
      }
      subscribers.push({
        baseEntity, kind, nats,
        options: {
          deleteUserOnLastGroupRoleRemoval: e.deleteUserOnLastGroupRoleRemoval,
          skipConvertRolesToGroups: e.skipConvertRolesToGroups,
          generateUserPassword: e.generateUserPassword,
          modifyOnly: e.modifyOnly,
          replaceDomains: e.replaceDomains.map(r => ({ from: r.from, to: r.to }))
        }
      })
    }
  }
  if (st.publisher.enabled) {
    for (const [baseEntity, e] of Object.entries(st.publisher.entity)) {
      const path = `scimgateway.stream.publisher.entity.${baseEntity}.nats`
      const nats = user(path, e.nats)
      if (nats === undefined) continue
      if (subjectKind(nats.subject) !== 'gw') {
        problems.push({ path: `${path}.subject`, message: `"${nats.subject}" is not a GW.<channel> subject` })
        continue
      }
      publishers.push({ baseEntity, nats, timeoutMs: e.timeout ?? st.publisher.timeout })
    }
  }
  if ((subscribers.length > 0 || publishers.length > 0) && st.baseUrls.length === 0) {
    problems.push({ path: 'scimgateway.stream.baseUrls', message: 'at least one NATS server URL is required' })
  }
  let caFile: string | undefined
  let caPem: string | undefined
  const ca = st.certificate.ca
  const caList = ca === undefined ? [] : typeof ca === 'string' ? [ca] : ca
  if (caList.length > 0) {
    const pems: string[] = []
    caList.forEach((v, i) => {
      if (/-----BEGIN /.test(v)) { pems.push(v); return }
      const file = isAbsolute(v) ? v : join(configDir ?? 'config', 'certs', v)
      caFile ??= file
      try {
        pems.push(readFileSync(file, 'utf8'))
      } catch (err) {
        problems.push({ path: `scimgateway.stream.certificate.ca${typeof ca === 'string' ? '' : `[${i}]`}`, message: `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}` })
      }
    })
    caPem = pems.join('\n')
  }
  if (problems.length > 0) throw new ConfigError(undefined, problems)
  const gwChunking: StreamPlan['gwChunking'] = {}
  const c = st.subscriber.chunking
  if (c.maxTransfers !== undefined) gwChunking.maxTransfers = c.maxTransfers
  if (c.maxBytes !== undefined) gwChunking.maxBytes = c.maxBytes
  if (c.maxRequestBytes !== undefined) gwChunking.maxRequestBytes = c.maxRequestBytes
  if (c.idleMs !== undefined) gwChunking.idleMs = c.idleMs
  return { servers: [...st.baseUrls], caPem, caFile, subscribers, publishers, gwChunking }
}
