// Who changed a user, from the Entra directory audit log (Graph `auditLogs/directoryAudits`, permission
// AuditLog.Read.All as SCIM Stream documents it): the newest entry targeting the user gives the
// message's initiatedById / initiatedByUpn (a person: id + userPrincipalName, e.g. the Entra Connect
// `Sync_…` account; an application: its service principal or app id + display name). Kept on the
// stored user as `@initiatedBy` (so rules on initiatedByUpn see the same value every run until the
// next change); a user changed in this round without an audit entry yet loses it (the service is the
// initiator then). Audit entries can appear minutes after the change: each run reads from the start
// of the previous one minus an overlap. An unreadable log is a warning, never a failed run.
// Also `@roleApps` (Enterprise application object id → name) for `user.roles.<object id>` rules.
import type { JsonObject } from '../../../scim/types.ts'
import type { Logger } from '../../../logging/types.ts'
import type { GraphClient } from './graph.ts'
import type { MembershipReader } from './memberships.ts'
import { INITIATOR_KEY } from '../../initiator.ts'


const OVERLAP_MS = 5 * 60_000
const FIRST_LOOKBACK_MS = 60 * 60_000

/** Reads the audit log once per run and marks the users it names. */
export interface InitiatorTracker {
  /** Sets/clears `@initiatedBy` on `users` (in place); `changed`: ids of this round's changed users. */
  apply: (users: Map<string, JsonObject>, changed: Iterable<string>, signal: AbortSignal) => Promise<void>
}

/** Creates the tracker of one collector (its watermark lives as long as the collector). */
export function initiatorTracker (graph: GraphClient, log: Logger, now: () => Date): InitiatorTracker {
  let lastStart: number | undefined
  let warned = false
  return {
    async apply (users, changed, signal) {
      const start = now().getTime()
      const since = new Date(lastStart !== undefined ? lastStart - OVERLAP_MS : start - FIRST_LOOKBACK_MS)
      let found: Map<string, { id: string, upn: string }>
      try {
        found = await readAudits(graph, since, signal)
      } catch (err) {
        if (signal.aborted) throw err
        if (!warned) log.warn(`Entra audit log not readable (needs AuditLog.Read.All): ${(err as Error).message}; initiatedBy is scim-stream`)
        warned = true
        return
      }
      warned = false
      lastStart = start
      for (const id of changed) {
        const u = users.get(id)
        if (u !== undefined && !found.has(id) && u[INITIATOR_KEY] !== undefined) users.set(id, without(u, INITIATOR_KEY))
      }
      for (const [id, by] of found) {
        const u = users.get(id)
        if (u !== undefined) users.set(id, { ...u, [INITIATOR_KEY]: by })
      }
    }
  }
}

/** The newest initiator per target user id since `since`. */
async function readAudits (graph: GraphClient, since: Date, signal: AbortSignal): Promise<Map<string, { id: string, upn: string }>> {
  const out = new Map<string, { id: string, upn: string }>()
  const newest = new Map<string, number>()
  const q = `/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(`activityDateTime ge ${since.toISOString()}`)}`
  for await (const page of graph.pages(q, signal)) {
    for (const e of page.value) {
      if (e === null || typeof e !== 'object' || Array.isArray(e)) continue
      const entry = e as Record<string, unknown>
      const at = Date.parse(typeof entry.activityDateTime === 'string' ? entry.activityDateTime : '')
      const by = initiator(entry.initiatedBy)
      if (by === undefined || Number.isNaN(at) || !Array.isArray(entry.targetResources)) continue
      for (const t of entry.targetResources) {
        if (t === null || typeof t !== 'object') continue
        const r = t as Record<string, unknown>
        if (r.type !== 'User' || typeof r.id !== 'string') continue
        if ((newest.get(r.id) ?? -Infinity) >= at) continue
        newest.set(r.id, at)
        out.set(r.id, by)
      }
    }
  }
  return out
}

function initiator (v: unknown): { id: string, upn: string } | undefined {
  if (v === null || typeof v !== 'object') return undefined
  const o = v as Record<string, unknown>
  const user = o.user as Record<string, unknown> | null | undefined
  if (user !== null && typeof user === 'object' && typeof user.id === 'string') {
    return { id: user.id, upn: typeof user.userPrincipalName === 'string' ? user.userPrincipalName : user.id }
  }
  const app = o.app as Record<string, unknown> | null | undefined
  if (app !== null && typeof app === 'object') {
    const id = typeof app.servicePrincipalId === 'string' ? app.servicePrincipalId : typeof app.appId === 'string' ? app.appId : undefined
    if (id !== undefined) return { id, upn: typeof app.displayName === 'string' ? app.displayName : id }
  }
  return undefined
}

/** Object id → display name of the applications whose roles the run saw (one cached read each). */
export async function roleApps (read: MembershipReader, resourceIds: Iterable<string>, signal: AbortSignal): Promise<JsonObject> {
  const out: JsonObject = {}
  for (const id of resourceIds) {
    const sp = await read.principal(id, signal)
    if (sp !== undefined) out[id.toLowerCase()] = sp.displayName
  }
  return out
}

function without (o: JsonObject, key: string): JsonObject {
  const { [key]: _, ...rest } = o
  return rest
}
