// The JetStream streams of a tenant, created or updated idempotently with a publisher connection:
//   <tenant>      ENTRA.> and HR.> — what subscribers consume (GW.> is never captured)
//   <tenant>_DLQ  DLQ.>            — dead letters: `DLQ.<original subject>`, published by subscribers
//                                   for permanent failures; operators list and replay them (dlq.ts).
import { jetstreamManager, JetStreamApiError, RetentionPolicy, StorageType, DiscardPolicy } from '@nats-io/jetstream'
import type { JetStreamManager, StreamConfig, StreamInfo } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { deadLetterStreamName, TENANT_STREAM_SUBJECTS as CONTRACT_SUBJECTS } from '../../stream/contract/naming.ts'

/** Options of {@link ensureTenantStream}. */
export interface TenantStreamOptions {
  /** Retention of ENTRA/HR messages in days (default 14). */
  maxAgeDays?: number
  /** Retention of dead letters in days (default 30). */
  dlqMaxAgeDays?: number
  /** JetStream de-duplication window for `Nats-Msg-Id` in ms (default 2 min). */
  duplicateWindowMs?: number
  /** Storage (default 'file'; 'memory' only for experiments). */
  storage?: 'file' | 'memory'
  /** Byte cap per stream (default -1: bounded by the account's disk limit). */
  maxBytes?: number
  /**
   * Create `<tenant>_DLQ` (default true). false = the layout of a deployed SCIM Stream server, which
   * has no DLQ stream: subscribers then keep dead letters locally.
   */
  deadLetterStream?: boolean
}

/** Subjects captured by the tenant stream. */
export const TENANT_STREAM_SUBJECTS: readonly string[] = CONTRACT_SUBJECTS
/** Subjects captured by the dead-letter stream. */
export const DLQ_STREAM_SUBJECTS: readonly string[] = ['DLQ.>']

const DAY_NS = 24 * 3600 * 1e9
const STREAM_NOT_FOUND = 10059

/**
 * Creates or updates the tenant's stream (named after the tenant) and its dead-letter stream.
 * @example await ensureTenantStream(nc, 'acme', { maxAgeDays: 14 })
 */
export async function ensureTenantStream (
  nc: NatsConnection, tenant: string, opts: TenantStreamOptions = {}
): Promise<{ stream: StreamInfo, dlq: StreamInfo | undefined }> {
  const jsm = await jetstreamManager(nc)
  const storage = opts.storage === 'memory' ? StorageType.Memory : StorageType.File
  const common = {
    retention: RetentionPolicy.Limits,
    storage,
    discard: DiscardPolicy.Old,
    max_bytes: opts.maxBytes ?? -1,
    duplicate_window: (opts.duplicateWindowMs ?? 120_000) * 1e6,
    num_replicas: 1
  }
  const stream = await upsert(jsm, {
    ...common,
    name: tenant,
    description: `SCIM Stream messages of tenant ${tenant}`,
    subjects: [...TENANT_STREAM_SUBJECTS],
    max_age: (opts.maxAgeDays ?? 14) * DAY_NS
  })
  if (opts.deadLetterStream === false) return { stream, dlq: undefined }
  const dlq = await upsert(jsm, {
    ...common,
    name: deadLetterStreamName(tenant),
    description: `Dead letters of tenant ${tenant} (subject DLQ.<original subject>)`,
    subjects: [...DLQ_STREAM_SUBJECTS],
    max_age: (opts.dlqMaxAgeDays ?? 30) * DAY_NS
  })
  return { stream, dlq }
}

async function upsert (jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<StreamInfo> {
  try {
    await jsm.streams.info(cfg.name)
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND) return await jsm.streams.add(cfg)
    throw err
  }
  return await jsm.streams.update(cfg.name, cfg)
}
