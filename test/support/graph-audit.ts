// The Graph directory audit log for the emulator (test/support/graph-emulator.ts):
// `GET /v1.0/auditLogs/directoryAudits?$filter=activityDateTime ge <ISO>` (also `gt`), newest first,
// paged with `@odata.nextLink`, entries shaped as Microsoft documents `directoryAudit`: `initiatedBy`
// is `{ user: { id, userPrincipalName, displayName } }` or `{ app: { appId, displayName,
// servicePrincipalId } }`, `targetResources[]` `{ id, type: 'User' | 'Group', userPrincipalName }`.
import type { Hono } from 'hono'

/** An audit entry to record (the emulator fills ids and defaults). */
export interface AuditRecord {
  /** Users the activity targeted. */
  targetUserIds: string[]
  /** A person (`{ id, upn }`) or an application (`{ appId, displayName }`, e.g. Entra Connect sync). */
  initiator: { id: string, upn: string } | { appId: string, displayName: string }
  activity?: string
  /** Default: now. */
  at?: Date
}

/** The audit log of one emulator. */
export interface AuditLog {
  add: (r: AuditRecord) => void
  readonly size: number
}

/** Creates the log and registers its route on `app` (after the emulator's /v1.0 middleware). */
export function auditLog (app: Hono, users: ReadonlyMap<string, Record<string, unknown>>, pageSize: number): AuditLog {
  const entries: Array<Record<string, unknown> & { activityDateTime: string }> = []
  let seq = 0
  app.get('/v1.0/auditLogs/directoryAudits', (c) => {
    const filter = c.req.query('$filter') ?? ''
    const m = /^activityDateTime (ge|gt) (\S+)$/.exec(filter.trim())
    if (filter !== '' && m === null) return c.json({ error: { code: 'BadRequest', message: `Invalid filter clause: ${filter}` } }, 400)
    const since = m === null ? -Infinity : Date.parse(m[2] ?? '')
    if (Number.isNaN(since)) return c.json({ error: { code: 'BadRequest', message: 'Invalid activityDateTime' } }, 400)
    const hits = entries.filter(e => { const t = Date.parse(e.activityDateTime); return m?.[1] === 'gt' ? t > since : t >= since })
      .sort((a, b) => Date.parse(b.activityDateTime) - Date.parse(a.activityDateTime))
    const offset = Number(c.req.query('$skiptoken') ?? 0) || 0
    const body: Record<string, unknown> = { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits', value: hits.slice(offset, offset + pageSize) }
    if (offset + pageSize < hits.length) {
      const u = new URL(c.req.url)
      u.searchParams.set('$skiptoken', String(offset + pageSize))
      body['@odata.nextLink'] = u.toString()
    }
    return c.json(body)
  })
  return {
    add (r) {
      seq++
      const initiatedBy = 'upn' in r.initiator
        ? { user: { id: r.initiator.id, displayName: null, userPrincipalName: r.initiator.upn, ipAddress: null }, app: null }
        : { user: null, app: { appId: r.initiator.appId, displayName: r.initiator.displayName, servicePrincipalId: null, servicePrincipalName: null } }
      entries.push({
        id: `Directory_${String(seq).padStart(8, '0')}`,
        category: 'UserManagement',
        result: 'success',
        activityDisplayName: r.activity ?? 'Update user',
        activityDateTime: (r.at ?? new Date()).toISOString(),
        loggedByService: 'Core Directory',
        operationType: 'Update',
        initiatedBy,
        targetResources: r.targetUserIds.map(id => ({ id, displayName: null, type: 'User', userPrincipalName: users.get(id)?.userPrincipalName ?? null, modifiedProperties: [] })),
        additionalDetails: []
      })
    },
    get size () { return entries.length }
  }
}
