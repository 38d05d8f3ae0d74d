// A local Microsoft Graph + Microsoft identity platform subset, shaped as Microsoft documents it, for
// the Entra collector's tests: the client-credentials token endpoint, `users/delta` (full round with
// `@odata.nextLink` pages ending in `@odata.deltaLink`, incremental rounds with changed users and
// `@removed` entries, expired delta links), `memberOf` / `transitiveMemberOf` (groups, directory roles,
// nested groups, paged), `groups/delta` with `members@delta` (a full round lists every group with
// all its members, split over several entries of the same group when there are many; an incremental
// round lists the groups changed since, with only the members added or removed — `@removed` — and
// deleted groups as `@removed`; `$deltatoken=latest`), `groups/{id}/transitiveMembers/microsoft.graph.user`,
// `groups/{id}/members/microsoft.graph.user` (direct members), users' and groups' `appRoleAssignments`
// (a user's lists only its own: roles through groups are not in it), `servicePrincipals/{id}` (also
// `servicePrincipals(appId='…')`) with `appRoles`, `servicePrincipals/{id}/appRoleAssignedTo` (paged;
// user and group principals, `principalType` `User` / `Group`), 401 for missing/unknown tokens, and throttling
// (429 with Retry-After) on demand. Tests change the directory between runs through the returned
// handle. Listens on 127.0.0.1 only; nothing starts on import.
//
//   POST /{tenant}/oauth2/v2.0/token           GET /v1.0/users/delta?$select=…  (| $skiptoken | $deltatoken)
//   GET  /v1.0/users/{id}/memberOf|transitiveMemberOf    GET /v1.0/users/{id}/appRoleAssignments
//   GET  /v1.0/groups/delta?$select=displayName,members   (| $skiptoken | $deltatoken | $deltatoken=latest)
//   GET  /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user | members/microsoft.graph.user   GET /v1.0/groups/{id}/appRoleAssignments
//   GET  /v1.0/servicePrincipals/{id} | servicePrincipals(appId='{appId}')   GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo
//   GET  /v1.0/auditLogs/directoryAudits?$filter=activityDateTime ge …   (graph-audit.ts)
//   POST /v1.0/users/{id|userPrincipalName|mail}/sendMail   (202; 404 ErrorInvalidUser; 400 ErrorInvalidRecipients)
//   /v1.0/roleManagement/directory/…  PIM role definitions, schedule requests and instances (graph-pim.ts)
//   /v1.0/identityGovernance/entitlementManagement/…  access packages, assignments, requests (graph-iga.ts)
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Hono, type Context } from 'hono'
import { getRequestListener } from '@hono/node-server'
import { auditLog, type AuditRecord } from './graph-audit.ts'
import { graphWrite, WRITE_LISTS, type GraphWrites } from './graph-write.ts'
import { verifyFederatedAssertion, type FederatedCredential } from './graph-fedcred.ts'
import { graphPim, type GraphPim, type RoleDefinition } from './graph-pim.ts'
import { graphIga, type GraphIga } from './graph-iga.ts'

/** A user as stored (any Graph user properties; `id` required). */
export type GraphUser = Record<string, unknown> & { id: string }
/** A group; `members` are user or group ids (nested groups for transitiveMemberOf). */
export interface GraphGroup { id: string, displayName: string, members: string[] }
/** A service principal with its app roles. */
export interface GraphServicePrincipal { id: string, appId?: string, displayName: string, appRoles: Array<{ id: string, displayName: string, value?: string | null }> }
/** An app role assignment of a user (or, with principalType Group, of the group `userId`). */
export interface GraphAssignment { userId: string, resourceId: string, appRoleId: string, principalType?: 'User' | 'Group' }

/** Options of {@link startGraphEmulator}. */
export interface GraphEmulatorOptions {
  tenantId?: string
  /** Apps; `federated`: the app also accepts a client_assertion from this issuer/subject (graph-fedcred.ts). */
  clients?: Array<{ client_id: string, client_secret: string, federated?: FederatedCredential }>
  users?: GraphUser[]
  groups?: GraphGroup[]
  /** Directory roles a user is member of (they show up in memberOf and must be left out by clients). */
  directoryRoles?: Array<{ id: string, displayName: string, members: string[] }>
  servicePrincipals?: GraphServicePrincipal[]
  assignments?: GraphAssignment[]
  /** PIM role definitions (default: a few built-in roles, graph-pim.ts BUILT_IN_ROLES). */
  roleDefinitions?: RoleDefinition[]
  /** Users per users/delta page (default 100). */
  pageSize?: number
  /** Entries per memberOf / appRoleAssignments / appRoleAssignedTo / transitiveMembers page (default 100). */
  linkPageSize?: number
  /** Members per `members@delta` of one groups/delta entry; a bigger group is split over several entries (default 20). */
  memberChunk?: number
  /** Token lifetime in seconds (default 3599). */
  expiresIn?: number
  /** Delay before each Graph answer, in ms (makes concurrency observable). */
  delayMs?: number
}

/** A running emulator. */
export interface GraphEmulator {
  /** `http://127.0.0.1:<port>`: both auth.login_url and auth.graph_url of the collector. */
  readonly url: string
  readonly tenantId: string
  /** Graph requests received (every answer, throttled ones included; token requests not counted). */
  readonly requests: number
  readonly tokenRequests: number
  /** Authenticated Graph requests per client_id (the token's client). */
  readonly requestsByClient: ReadonlyMap<string, number>
  /** Highest number of Graph requests in progress at once. */
  readonly maxConcurrent: number
  /** Request paths received, in order (query included). */
  readonly log: readonly string[]
  /** Mails accepted by sendMail: the sending mailbox and the `message` object as posted. */
  readonly sentMail: ReadonlyArray<{ mailbox: string, message: Record<string, unknown> }>
  /** Creates or updates a user (properties merged; `null` clears one). Shows up in the next delta round. */
  setUser (user: GraphUser): void
  /** Deletes a user: the next delta round reports it `@removed` (reason `changed` = soft delete). */
  removeUser (id: string, reason?: 'changed' | 'deleted'): void
  /** Group membership changes (not visible in users/delta, as in Graph; in the next groups/delta round). */
  setGroupMembers (groupId: string, members: string[]): void
  addMember (groupId: string, memberId: string): void
  removeMember (groupId: string, memberId: string): void
  /** Creates a group (in the next groups/delta round with its members). */
  addGroup (group: GraphGroup): void
  renameGroup (groupId: string, displayName: string): void
  /** Deletes a group: the next groups/delta round reports it `@removed`. */
  removeGroup (groupId: string, reason?: 'changed' | 'deleted'): void
  /** App role assignments (no delta query in Graph: visible only by reading them); `principalType: 'Group'` assigns to the group `userId`. */
  assign (a: GraphAssignment): void
  /** Removes the assignment of a user or group (`userId` = the principal's id). */
  unassign (userId: string, resourceId: string, appRoleId: string): void
  /** The next `count` Graph requests answer 429 (or `status`) with this Retry-After. */
  throttle (count: number, retryAfter?: number | string, status?: number): void
  /** Every delta link issued so far (users, groups or both) becomes invalid: 410 Gone (default) or 400 syncStateNotFound. */
  expireDeltaLinks (mode?: 410 | 400, which?: 'users' | 'groups' | 'all'): void
  /** Forgets every issued access token (the next request with one gets 401). */
  revokeTokens (): void
  setDelay (ms: number): void
  resetCounters (): void
  /** Records a directory audit entry (auditLogs/directoryAudits, see graph-audit.ts). */
  audit (r: AuditRecord): void
  /** The write routes (users/groups/members/manager/licences/$batch, see graph-write.ts). */
  readonly writes: GraphWrites
  /** PIM role definitions, schedule requests and instances (see graph-pim.ts). */
  readonly pim: GraphPim
  /** Access packages, their assignments and assignment requests (see graph-iga.ts). */
  readonly iga: GraphIga
  stop (): Promise<void>
}

interface ChangeEntry { version: number, id: string }
/** A groups/delta change: properties, one member added or removed, or the group deleted. */
type GroupChangeEntry = { version: number, groupId: string } & ({ kind: 'props' | 'removed' } | { kind: 'member', memberId: string, op: 'add' | 'remove' })

/**
 * Starts the emulator on a free port of 127.0.0.1.
 * @example const graph = await startGraphEmulator({ users: [{ id: 'u1', userPrincipalName: 'ann@contoso.test' }] })
 */
export async function startGraphEmulator (opts: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  const tenantId = opts.tenantId ?? '11111111-2222-3333-4444-555555555555'
  const clients = opts.clients ?? [{ client_id: 'app-1', client_secret: 'secret-1' }]
  const users = new Map<string, GraphUser>()
  for (const u of opts.users ?? []) users.set(u.id, { ...u })
  const removed = new Map<string, 'changed' | 'deleted'>()
  const groups = new Map<string, GraphGroup>()
  for (const g of opts.groups ?? []) groups.set(g.id, { ...g, members: [...g.members] })
  const removedGroups = new Map<string, 'changed' | 'deleted'>()
  const groupChanges: GroupChangeEntry[] = []
  let groupsValidFrom = 0
  let groupsExpiredMode: 410 | 400 = 410
  const memberChunk = Math.max(1, opts.memberChunk ?? 20)
  const roles = opts.directoryRoles ?? []
  const principals = new Map<string, GraphServicePrincipal>()
  for (const sp of opts.servicePrincipals ?? []) principals.set(sp.id, sp)
  let assignments: GraphAssignment[] = [...(opts.assignments ?? [])]
  const pageSize = Math.max(1, opts.pageSize ?? 100)
  const linkPageSize = Math.max(1, opts.linkPageSize ?? 100)
  let delayMs = opts.delayMs ?? 0
  let version = 1
  const changes: ChangeEntry[] = []
  let validFrom = 0 // delta links issued before this version are expired
  let expiredMode: 410 | 400 = 410
  const tokens = new Map<string, string>() // token → client_id
  const byClient = new Map<string, number>()
  let tokenSeq = 0
  let requests = 0
  let tokenRequests = 0
  let inflight = 0
  let maxConcurrent = 0
  let throttleLeft = 0
  let throttleStatus = 429
  let throttleAfter: string | undefined
  const paths: string[] = []
  const sentMail: Array<{ mailbox: string, message: Record<string, unknown> }> = []

  const app = new Hono()

  app.post('/:tenant/oauth2/v2.0/token', async (c) => {
    tokenRequests++
    const form = new URLSearchParams(await c.req.text())
    if (c.req.param('tenant') !== tenantId) return c.json({ error: 'invalid_request', error_description: `AADSTS90002: Tenant '${c.req.param('tenant')}' not found.` }, 400)
    if (form.get('grant_type') !== 'client_credentials') return c.json({ error: 'unsupported_grant_type', error_description: 'AADSTS70003: The app requested an unsupported grant type.' }, 400)
    if (!(form.get('scope') ?? '').endsWith('/.default')) return c.json({ error: 'invalid_scope', error_description: 'AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.' }, 400)
    const client = clients.find(cl => cl.client_id === form.get('client_id'))
    if (client === undefined) return c.json({ error: 'unauthorized_client', error_description: `AADSTS700016: Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory.` }, 400)
    const assertion = form.get('client_assertion')
    if (assertion !== null && client.federated !== undefined) {
      const refused = await verifyFederatedAssertion(assertion, client.federated)
      if (refused !== undefined) return c.json({ error: 'invalid_client', error_description: refused }, 401)
    } else if (client.client_secret !== form.get('client_secret')) return c.json({ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.' }, 401)
    const token = `eyJ0eXAiOiJKV1Qi.emu-${++tokenSeq}.${Math.random().toString(36).slice(2)}`
    tokens.set(token, client.client_id)
    const expiresIn = opts.expiresIn ?? 3599
    return c.json({ token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token })
  })

  // Every Graph request: counted, optionally delayed and throttled, then authenticated.
  app.use('/v1.0/*', async (c, next) => {
    requests++
    paths.push(c.req.url.slice(new URL(c.req.url).origin.length))
    inflight++
    maxConcurrent = Math.max(maxConcurrent, inflight)
    try {
      if (delayMs > 0) await new Promise(resolve => setTimeout(resolve, delayMs))
      if (throttleLeft > 0) {
        throttleLeft--
        const headers: Record<string, string> = throttleAfter !== undefined ? { 'Retry-After': throttleAfter } : {}
        return c.json(graphError(throttleStatus === 429 ? 'TooManyRequests' : 'serviceNotAvailable', 'Too many requests (emulated).'), throttleStatus as 429, headers)
      }
      const bearer = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
      const caller = bearer === undefined ? undefined : tokens.get(bearer)
      if (caller === undefined) return c.json(graphError('InvalidAuthenticationToken', 'Access token is empty or invalid.'), 401)
      byClient.set(caller, (byClient.get(caller) ?? 0) + 1)
      await next()
    } finally {
      inflight--
    }
  })

  app.get('/v1.0/users/delta', (c) => {
    const q = c.req.query()
    const origin = new URL(c.req.url).origin
    const opened = openDeltaRound(q, version, validFrom, expiredMode)
    if (opened.kind === 'error') return c.json(opened.body, opened.status)
    if (opened.kind === 'latest') {
      const select = opened.select
      return c.json({ '@odata.context': `${origin}/v1.0/$metadata#users(${select.join(',')})`, value: [], '@odata.deltaLink': `${origin}/v1.0/users/delta?$deltatoken=${encode({ since: version, upTo: version, offset: 0, select })}` })
    }
    const state = opened.state
    // The entries of this round: every current user (full) or the users changed in (since, upTo].
    let ids: string[]
    if (state.since === 0) ids = [...users.keys()].sort()
    else ids = [...new Set(changes.filter(ch => ch.version > state.since && ch.version <= state.upTo).map(ch => ch.id))].sort()
    const slice = ids.slice(state.offset, state.offset + pageSize)
    const value = slice.map((id) => {
      const u = users.get(id)
      if (u === undefined) return { '@odata.type': '#microsoft.graph.user', id, '@removed': { reason: removed.get(id) ?? 'deleted' } }
      const v = project(u, state.select)
      // $expand=manager: the manager's id as `manager@delta` (Graph sends no other manager property here).
      if (state.expandManager === true && 'manager' in u) {
        v['manager@delta'] = u.manager === null ? [{ '@odata.type': '#microsoft.graph.user', id: '', '@removed': { reason: 'deleted' } }] : [{ '@odata.type': '#microsoft.graph.user', id: u.manager }]
      }
      return v
    })
    const body: Record<string, unknown> = { '@odata.context': `${origin}/v1.0/$metadata#users(${state.select.join(',')})`, value }
    if (state.offset + pageSize < ids.length) body['@odata.nextLink'] = `${origin}/v1.0/users/delta?$skiptoken=${encode({ ...state, offset: state.offset + pageSize })}`
    else body['@odata.deltaLink'] = `${origin}/v1.0/users/delta?$deltatoken=${encode({ since: state.upTo, upTo: state.upTo, offset: 0, select: state.select, ...(state.expandManager === true ? { expandManager: true } : {}) })}`
    return c.json(body)
  })

  // groups/delta: entries are built first (a group with many members becomes several entries of the
  // same id, members split by memberChunk), then paged by pageSize like users/delta.
  app.get('/v1.0/groups/delta', (c) => {
    const q = c.req.query()
    const origin = new URL(c.req.url).origin
    const link = (s: DeltaState): string => `${origin}/v1.0/groups/delta?$deltatoken=${encode(s)}`
    const opened = openDeltaRound(q, version, groupsValidFrom, groupsExpiredMode)
    if (opened.kind === 'error') return c.json(opened.body, opened.status)
    if (opened.kind === 'latest') {
      const select = opened.select
      return c.json({ '@odata.context': `${origin}/v1.0/$metadata#groups(${select.join(',')})`, value: [], '@odata.deltaLink': link({ since: version, upTo: version, offset: 0, select }) })
    }
    const state = opened.state
    const withName = state.select.length === 0 || state.select.includes('displayName')
    const withMembers = state.select.length === 0 || state.select.includes('members')
    const memberRef = (id: string): Record<string, unknown> => ({ '@odata.type': groups.has(id) || removedGroups.has(id) ? '#microsoft.graph.group' : '#microsoft.graph.user', id })
    const entriesOf = (g: GraphGroup, members: Array<Record<string, unknown>>): Array<Record<string, unknown>> => {
      const head: Record<string, unknown> = { id: g.id, ...(withName ? { displayName: g.displayName } : {}) }
      if (!withMembers) return [head]
      const out: Array<Record<string, unknown>> = []
      for (let i = 0; i === 0 || i < members.length; i += memberChunk) out.push({ ...(i === 0 ? head : { id: g.id }), 'members@delta': members.slice(i, i + memberChunk) })
      return out
    }
    const entries: Array<Record<string, unknown>> = []
    if (state.since === 0) {
      for (const g of [...groups.values()].sort((a, b) => a.id.localeCompare(b.id))) entries.push(...entriesOf(g, g.members.map(memberRef)))
    } else {
      // Per changed group: deleted → @removed; else its properties and the net member changes.
      const window = groupChanges.filter(ch => ch.version > state.since && ch.version <= state.upTo)
      for (const groupId of [...new Set(window.map(ch => ch.groupId))].sort()) {
        const g = groups.get(groupId)
        if (g === undefined) {
          entries.push({ '@odata.type': '#microsoft.graph.group', id: groupId, '@removed': { reason: removedGroups.get(groupId) ?? 'deleted' } })
          continue
        }
        const last = new Map<string, 'add' | 'remove'>()
        for (const ch of window) if (ch.groupId === groupId && ch.kind === 'member') last.set(ch.memberId, ch.op)
        const members = [...last].map(([id, op]) => op === 'add' ? memberRef(id) : { ...memberRef(id), '@removed': { reason: 'deleted' } })
        entries.push(...entriesOf(g, members))
      }
    }
    const body: Record<string, unknown> = { '@odata.context': `${origin}/v1.0/$metadata#groups(${state.select.join(',')})`, value: entries.slice(state.offset, state.offset + pageSize) }
    if (state.offset + pageSize < entries.length) body['@odata.nextLink'] = `${origin}/v1.0/groups/delta?$skiptoken=${encode({ ...state, offset: state.offset + pageSize })}`
    else body['@odata.deltaLink'] = link({ since: state.upTo, upTo: state.upTo, offset: 0, select: state.select })
    return c.json(body)
  })

  app.get('/v1.0/groups/:id/members/microsoft.graph.user', (c) => {
    const g = groups.get(c.req.param('id'))
    if (g === undefined) return c.json(graphError('Request_ResourceNotFound', `Resource '${c.req.param('id')}' does not exist or one of its queried reference-property objects are not present.`), 404)
    return paged(c, g.members.filter(m => users.has(m)).sort().map(u => ({ '@odata.type': '#microsoft.graph.user', id: u })))
  })

  app.get('/v1.0/groups/:id/appRoleAssignments', (c) => {
    const id = c.req.param('id')
    const g = groups.get(id)
    if (g === undefined) return c.json(graphError('Request_ResourceNotFound', `Resource '${id}' does not exist.`), 404)
    return paged(c, assignments.filter(a => a.userId === id && a.principalType === 'Group').map(a => assignmentEntry(a, 'Group', g.displayName)))
  })

  app.get('/v1.0/groups/:id/transitiveMembers/microsoft.graph.user', (c) => {
    const id = c.req.param('id')
    if (!groups.has(id)) return c.json(graphError('Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`), 404)
    const found = new Set<string>()
    const seen = new Set<string>()
    const walk = (groupId: string): void => {
      if (seen.has(groupId)) return
      seen.add(groupId)
      for (const m of groups.get(groupId)?.members ?? []) {
        if (groups.has(m)) walk(m)
        else if (users.has(m)) found.add(m)
      }
    }
    walk(id)
    return paged(c, [...found].sort().map(u => ({ '@odata.type': '#microsoft.graph.user', id: u })))
  })

  const memberships = (transitive: boolean) => (c: Context) => {
    const id = c.req.param('id') ?? ''
    if (!users.has(id)) return c.json(graphError('Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`), 404)
    const direct = (member: string): GraphGroup[] => [...groups.values()].filter(g => g.members.includes(member))
    const found = new Map<string, GraphGroup>()
    const walk = (member: string): void => {
      for (const g of direct(member)) {
        if (found.has(g.id)) continue
        found.set(g.id, g)
        if (transitive) walk(g.id)
      }
    }
    walk(id)
    const entries: Array<Record<string, unknown>> = [...found.values()].map(g => ({ '@odata.type': '#microsoft.graph.group', id: g.id, displayName: g.displayName }))
    for (const r of roles) if (r.members.includes(id)) entries.push({ '@odata.type': '#microsoft.graph.directoryRole', id: r.id, displayName: r.displayName })
    return paged(c, entries)
  }
  app.get('/v1.0/users/:id/memberOf', memberships(false))
  app.get('/v1.0/users/:id/transitiveMemberOf', memberships(true))

  app.post('/v1.0/users/:id/sendMail', async (c) => {
    const key = decodeURIComponent(c.req.param('id')).toLowerCase()
    const mailbox = [...users.values()].find(u => [u.id, u.userPrincipalName, u.mail].some(v => typeof v === 'string' && v.toLowerCase() === key))
    if (mailbox === undefined) return c.json(graphError('ErrorInvalidUser', `The requested user '${c.req.param('id')}' is invalid.`), 404)
    let body: { message?: Record<string, unknown> }
    try { body = await c.req.json() } catch { return c.json(graphError('BadRequest', 'Unable to read JSON request payload.'), 400) }
    const to = body.message?.toRecipients
    if (body.message === undefined || !Array.isArray(to) || to.length === 0) return c.json(graphError('ErrorInvalidRecipients', 'At least one recipient is not valid.'), 400)
    sentMail.push({ mailbox: mailbox.id, message: body.message })
    return c.body(null, 202)
  })

  app.get('/v1.0/users/:id/appRoleAssignments', (c) => {
    const id = c.req.param('id')
    const u = users.get(id)
    if (u === undefined) return c.json(graphError('Request_ResourceNotFound', `Resource '${id}' does not exist.`), 404)
    const entries = assignments.filter(a => a.userId === id && (a.principalType ?? 'User') === 'User').map(a => assignmentEntry(a, 'User', u.displayName))
    return paged(c, entries)
  })

  app.get('/v1.0/servicePrincipals/:id/appRoleAssignedTo', (c) => {
    const id = c.req.param('id')
    const sp = principals.get(id)
    if (sp === undefined) return c.json(graphError('Request_ResourceNotFound', `Resource '${id}' does not exist.`), 404)
    const entries = assignments.filter(a => a.resourceId === id).map((a) => {
      const type = a.principalType ?? 'User'
      return assignmentEntry(a, type, type === 'User' ? users.get(a.userId)?.displayName : groups.get(a.userId)?.displayName)
    })
    return paged(c, entries)
  })

  const servicePrincipal = (c: Context, sp: GraphServicePrincipal | undefined, key: string): Response => {
    if (sp === undefined) return c.json(graphError('Request_ResourceNotFound', `Resource '${key}' does not exist.`), 404)
    const full: Record<string, unknown> = {
      id: sp.id,
      displayName: sp.displayName,
      appRoles: sp.appRoles.map(r => ({ allowedMemberTypes: ['User'], description: r.displayName, displayName: r.displayName, id: r.id, isEnabled: true, origin: 'Application', value: r.value ?? null }))
    }
    return c.json(project(full as GraphUser, (c.req.query('$select') ?? '').split(',').filter(x => x !== '')))
  }
  const audits = auditLog(app, users, linkPageSize)
  app.get('/v1.0/servicePrincipals/:id', (c) => servicePrincipal(c, principals.get(c.req.param('id')), c.req.param('id')))
  // The alternate key: /servicePrincipals(appId='{appId}').
  app.get('/v1.0/:key', async (c, next) => {
    const appId = /^servicePrincipals\(appId='([^']+)'\)$/.exec(decodeURIComponent(c.req.param('key')))?.[1]
    if (appId === undefined && WRITE_LISTS.has(c.req.param('key'))) { await next(); return } // graph-write.ts serves these
    if (appId === undefined) return c.json(graphError('BadRequest', `Resource not found for the segment '${c.req.param('key')}'.`), 400)
    return servicePrincipal(c, [...principals.values()].find(sp => sp.appId === appId), appId)
  })

  // An appRoleAssignment as Graph shows it (the same object from the user, group and resource side).
  function assignmentEntry (a: GraphAssignment, type: 'User' | 'Group', principalName: unknown): Record<string, unknown> {
    return {
      id: `${a.userId}-${a.resourceId}-${a.appRoleId}`.slice(0, 43),
      deletedDateTime: null,
      appRoleId: a.appRoleId,
      createdDateTime: '2024-01-01T00:00:00Z',
      principalDisplayName: typeof principalName === 'string' ? principalName : null,
      principalId: a.userId,
      principalType: type,
      resourceDisplayName: principals.get(a.resourceId)?.displayName ?? null,
      resourceId: a.resourceId
    }
  }

  function paged (c: Context, entries: Array<Record<string, unknown>>): Response {
    const offset = Number(c.req.query('$skiptoken') ?? 0) || 0
    const origin = new URL(c.req.url).origin
    const params = new URLSearchParams(c.req.url.split('?')[1] ?? '')
    params.set('$skiptoken', String(offset + linkPageSize))
    const body: Record<string, unknown> = { '@odata.context': `${origin}/v1.0/$metadata#directoryObjects`, value: entries.slice(offset, offset + linkPageSize) }
    if (offset + linkPageSize < entries.length) body['@odata.nextLink'] = `${origin}${new URL(c.req.url).pathname}?${params.toString()}`
    return c.json(body)
  }

  const touch = (id: string): void => {
    version++
    changes.push({ version, id })
  }
  const touchGroup = (ch: { groupId: string } & ({ kind: 'props' | 'removed' } | { kind: 'member', memberId: string, op: 'add' | 'remove' })): void => {
    version++
    groupChanges.push({ version, ...ch })
  }
  const group = (groupId: string): GraphGroup => {
    const g = groups.get(groupId)
    if (g === undefined) throw new Error(`no group ${groupId}`)
    return g
  }

  const server: Server = createServer(getRequestListener(app.fetch))
  server.keepAliveTimeout = 1000
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })

  const handle: GraphEmulator = {
    url: `http://127.0.0.1:${port}`,
    tenantId,
    get requests () { return requests },
    get tokenRequests () { return tokenRequests },
    get maxConcurrent () { return maxConcurrent },
    get log () { return paths },
    get sentMail () { return sentMail },
    setUser (user) {
      const prev = users.get(user.id) ?? { id: user.id }
      const next: GraphUser = { ...prev }
      for (const [k, v] of Object.entries(user)) {
        if (v === null && k !== 'manager') delete next[k]
        else next[k] = v // a removed manager stays as null: the next round reports it `@removed`
      }
      users.set(user.id, next)
      removed.delete(user.id)
      touch(user.id)
    },
    removeUser (id, reason = 'deleted') {
      if (!users.delete(id)) return
      removed.set(id, reason)
      for (const g of groups.values()) g.members = g.members.filter(m => m !== id)
      assignments = assignments.filter(a => a.userId !== id)
      touch(id)
    },
    setGroupMembers (groupId, members) {
      const g = group(groupId)
      for (const m of g.members) if (!members.includes(m)) touchGroup({ groupId, kind: 'member', memberId: m, op: 'remove' })
      for (const m of members) if (!g.members.includes(m)) touchGroup({ groupId, kind: 'member', memberId: m, op: 'add' })
      g.members = [...members]
    },
    addMember (groupId, memberId) {
      const g = group(groupId)
      if (g.members.includes(memberId)) return
      g.members.push(memberId)
      touchGroup({ groupId, kind: 'member', memberId, op: 'add' })
    },
    removeMember (groupId, memberId) {
      const g = group(groupId)
      if (!g.members.includes(memberId)) return
      g.members = g.members.filter(m => m !== memberId)
      touchGroup({ groupId, kind: 'member', memberId, op: 'remove' })
    },
    addGroup (g) {
      groups.set(g.id, { ...g, members: [...g.members] })
      removedGroups.delete(g.id)
      touchGroup({ groupId: g.id, kind: 'props' })
      for (const m of g.members) touchGroup({ groupId: g.id, kind: 'member', memberId: m, op: 'add' })
    },
    renameGroup (groupId, displayName) {
      group(groupId).displayName = displayName
      touchGroup({ groupId, kind: 'props' })
    },
    removeGroup (groupId, reason = 'deleted') {
      group(groupId)
      groups.delete(groupId)
      removedGroups.set(groupId, reason)
      assignments = assignments.filter(a => a.userId !== groupId) // a deleted group's app role assignments go with it
      // Its membership in other groups goes with it (each parent's members change).
      for (const p of groups.values()) {
        if (!p.members.includes(groupId)) continue
        p.members = p.members.filter(m => m !== groupId)
        touchGroup({ groupId: p.id, kind: 'member', memberId: groupId, op: 'remove' })
      }
      touchGroup({ groupId, kind: 'removed' })
    },
    assign (a) { assignments.push({ ...a }) },
    unassign (userId, resourceId, appRoleId) {
      assignments = assignments.filter(a => !(a.userId === userId && a.resourceId === resourceId && a.appRoleId === appRoleId))
    },
    throttle (count, retryAfter, status = 429) {
      throttleLeft = count
      throttleStatus = status
      throttleAfter = retryAfter === undefined ? undefined : String(retryAfter)
    },
    expireDeltaLinks (mode = 410, which = 'all') {
      version++ // links issued from now on start at this version and stay valid
      if (which !== 'groups') {
        validFrom = version
        expiredMode = mode
      }
      if (which !== 'users') {
        groupsValidFrom = version
        groupsExpiredMode = mode
      }
    },
    revokeTokens () { tokens.clear() },
    audit (r) { audits.add(r) },
    get writes () { return writes },
    get pim () { return pim },
    get iga () { return iga },
    requestsByClient: byClient,
    setDelay (ms) { delayMs = ms },
    resetCounters () {
      requests = 0
      tokenRequests = 0
      maxConcurrent = 0
      paths.length = 0
    },
    async stop () {
      await new Promise<void>((resolve) => {
        server.close(() => { resolve() })
        server.closeAllConnections()
      })
    }
  }
  const writes = graphWrite(app, { users, groups, roles, setUser: handle.setUser, removeUser: id => { handle.removeUser(id) }, addGroup: handle.addGroup, renameGroup: handle.renameGroup, removeGroup: id => { handle.removeGroup(id) }, addMember: handle.addMember, removeMember: handle.removeMember }, linkPageSize)
  const pim = graphPim(app, users, opts.roleDefinitions, linkPageSize)
  const iga = graphIga(app, users)
  return handle
}

/**
 * The round a delta request continues or starts: from a $skiptoken (next page), a $deltatoken (changes
 * since; an expired one answers 410 resyncRequired or 400 syncStateNotFound as Graph does), or none
 * (a full round). `$deltatoken=latest` asks for a link from now on, without data (`latest` = $select).
 */
type DeltaRound =
  | { kind: 'round', state: DeltaState }
  | { kind: 'latest', select: string[] }
  | { kind: 'error', status: 400 | 410, body: ReturnType<typeof graphError> }

function openDeltaRound (q: Record<string, string>, version: number, validFrom: number, expiredMode: 410 | 400): DeltaRound {
  const selectOf = (): string[] => (q.$select ?? '').split(',').map(x => x.trim()).filter(x => x !== '')
  if (q.$skiptoken !== undefined) {
    const s = decode(q.$skiptoken)
    return s === undefined ? { kind: 'error', status: 400, body: graphError('badRequest', 'Invalid skip token.') } : { kind: 'round', state: s }
  }
  if (q.$deltatoken === 'latest') return { kind: 'latest', select: selectOf() }
  if (q.$deltatoken !== undefined) {
    const s = decode(q.$deltatoken)
    if (s === undefined) return { kind: 'error', status: 400, body: graphError('badRequest', 'Invalid delta token.') }
    if (s.since < validFrom) {
      return expiredMode === 410
        ? { kind: 'error', status: 410, body: graphError('resyncRequired', 'The delta token is no longer valid: a full synchronization is required.') }
        : { kind: 'error', status: 400, body: graphError('syncStateNotFound', 'The sync state generation is not found. The delta token is expired and data must be synchronized again.') }
    }
    return { kind: 'round', state: { ...s, offset: 0, upTo: version } }
  }
  return { kind: 'round', state: { since: 0, upTo: version, offset: 0, select: selectOf(), ...(q.$expand === 'manager' ? { expandManager: true } : {}) } }
}

interface DeltaState {
  /** Changes after this version (0 = a full round). */
  since: number
  /** The round covers changes up to this version (fixed when the round started). */
  upTo: number
  offset: number
  select: string[]
  /** users/delta with `$expand=manager`. */
  expandManager?: boolean
}

// Opaque tokens, as Graph's are: the round's state, base64url-encoded.
function encode (s: DeltaState): string {
  return Buffer.from(JSON.stringify(s), 'utf8').toString('base64url')
}

function decode (t: string): DeltaState | undefined {
  try {
    const s = JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as DeltaState
    if (typeof s.since !== 'number' || typeof s.upTo !== 'number' || typeof s.offset !== 'number' || !Array.isArray(s.select)) return undefined
    return s
  } catch {
    return undefined
  }
}

function project (u: GraphUser, select: readonly string[]): Record<string, unknown> {
  if (select.length === 0) return { ...u }
  const out: Record<string, unknown> = { id: u.id }
  for (const k of select) if (k in u) out[k] = u[k]
  return out
}

function graphError (code: string, message: string): { error: { code: string, message: string, innerError: Record<string, string> } } {
  return { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': '00000000-0000-0000-0000-000000000000' } } }
}
