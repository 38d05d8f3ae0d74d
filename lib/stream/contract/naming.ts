// Names the stream contract fixes (docs STREAM-CONTRACT.md): subjects, the tenant stream, the
// durable consumer of a subscribing entity, the GW queue group, dead-letter subject and stream.

/** The collector types, as subject prefixes. */
export type SubjectPrefix = 'ENTRA' | 'HR'

/** Subjects captured by the tenant stream (named after the tenant). */
export const TENANT_STREAM_SUBJECTS: readonly string[] = ['ENTRA.>', 'HR.>']

/** `ENTRA.<channel>` / `HR.<channel>` of a collector type (`entra`/`hr`, any case). */
export function subjectOf (type: string, channel: string): string {
  return `${type.toUpperCase()}.${channel}`
}

/** The JetStream stream of a tenant: named after the tenant. */
export function tenantStreamName (tenant: string): string {
  return tenant
}

/**
 * The durable consumer name of a subscribing entity: `durable_<pluginName>_<baseEntity>` with
 * `*`→`#`, `>`→`##` and `.`→`_` (the names deployed subscribers already have).
 * @example durableName('loki', 'acme') // 'durable_loki_acme'
 */
export function durableName (pluginName: string, baseEntity: string): string {
  return `durable_${pluginName}_${baseEntity}`
    .replace(/>/g, '##')
    .replace(/\*/g, '#')
    .replace(/\./g, '_')
}

/** Queue group of the GW responders of one subject: every gateway on it shares the group. */
export function gwQueueGroup (subject: string): string {
  return `scimgateway_${subject.replace(/[.*>\s]/g, '_')}`
}

/** What a subscriber entity's subject asks for. */
export type SubjectKind = 'jetstream' | 'gw'

/** `GW.<channel>` → request/reply responder; `ENTRA.…`/`HR.…` → JetStream consumer. */
export function subjectKind (subject: string): SubjectKind | undefined {
  if (/^GW\.[^.\s]/.test(subject)) return 'gw'
  if (/^(ENTRA|HR)\.[^.\s]/.test(subject)) return 'jetstream'
  return undefined
}

/** Name of the (optional) JetStream dead-letter stream of a tenant. */
export function deadLetterStreamName (tenant: string): string {
  return `${tenant}_DLQ`
}

/**
 * The subject of a dead letter: `DLQ.` + original subject (`ENTRA.AD.USER` → `DLQ.ENTRA.AD.USER`),
 * captured by `<tenant>_DLQ` when that stream exists.
 */
export function deadLetterSubject (subject: string): string {
  return `DLQ.${subject}`
}

/** The original subject of a dead-letter subject. */
export function originalSubjectOf (dlqSubject: string): string {
  return dlqSubject.replace(/^DLQ\./, '')
}

/**
 * The key a subscriber orders by: the user (`u:<userName lower-case>`) or group (`g:<displayName>`)
 * a message is about.
 */
export function orderKeyOf (body: { user?: { userName?: unknown }, group?: { displayName?: unknown } }): string | undefined {
  const u = body.user?.userName
  if (typeof u === 'string' && u !== '') return `u:${u.toLowerCase()}`
  const g = body.group?.displayName
  if (typeof g === 'string' && g !== '') return `g:${g.toLowerCase()}`
  return undefined
}
