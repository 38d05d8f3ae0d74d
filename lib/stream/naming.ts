// Names the stream contract fixes (docs STREAM-CONTRACT.md): the durable consumer of a subscribing
// entity, the GW queue group, and which kind of subject a subscriber entity listens on.

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
