// The writable part of the Graph emulator (test/support/graph-emulator.ts), as Microsoft documents
// it for Graph v1.0: users (GET list with $filter eq/startswith, $select, $top, @odata.nextLink;
// GET/POST/PATCH/DELETE; create validation of accountEnabled, displayName, mailNickname,
// userPrincipalName, passwordProfile), manager ($ref PUT/GET/DELETE), groups (list/get/create/PATCH/
// DELETE, `members@odata.bind` of at most 20), members (paged GET, POST members/$ref, DELETE
// members/{id}/$ref), groups' memberOf, subscribedSkus, users' licenseDetails, directoryRoles and
// JSON `$batch` (at most 20 requests, each dispatched through the emulator itself, so throttling and
// auth apply per request as in Graph). Error bodies use Graph's codes (Request_ResourceNotFound,
// Request_BadRequest with "already exist", Request_MultipleObjectsWithSameKeyValue).
import { randomUUID } from 'node:crypto'
import type { Context, Hono } from 'hono'

type Obj = Record<string, unknown>
export interface WriteUser extends Obj { id: string }
export interface WriteGroup { id: string, displayName: string, members: string[] }
/** A subscribed SKU (licence) of the tenant. */
export interface Sku { skuId: string, skuPartNumber: string, enabled?: number }

/** What graph-write needs from the emulator: its maps and change hooks (so delta rounds see writes). */
export interface WriteStore {
  users: Map<string, WriteUser>
  groups: Map<string, WriteGroup>
  roles: ReadonlyArray<{ id: string, displayName: string, members: string[] }>
  setUser: (u: WriteUser) => void
  removeUser: (id: string) => void
  addGroup: (g: WriteGroup) => void
  renameGroup: (id: string, displayName: string) => void
  removeGroup: (id: string) => void
  addMember: (groupId: string, memberId: string) => void
  removeMember: (groupId: string, memberId: string) => void
}

/** Test handle of the write routes. */
export interface GraphWrites {
  /** Tenant licences (subscribedSkus) and each user's assigned SKU ids (licenseDetails). */
  setSkus: (skus: Sku[]) => void
  setLicenses: (userId: string, skuIds: string[]) => void
  /** Manager of a user (undefined = none). */
  managerOf: (userId: string) => string | undefined
  /** Requests received inside $batch bodies. */
  readonly batchItems: number
  readonly batches: number
  /** true: writes (POST/PATCH/PUT/DELETE) answer 403 Authorization_RequestDenied, as for an app without Directory.ReadWrite.All. */
  denyWrites: (on: boolean) => void
  /** The next `count` requests inside $batch bodies answer 429 with this Retry-After (seconds). */
  throttleBatchItems: (count: number, retryAfter: number) => void
  /** Extra properties of a group (description, mailNickname, …). */
  groupProps: (id: string) => Obj | undefined
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** Top-level lists graph-write.ts serves (the emulator's `/v1.0/:key` route passes them on). */
export const WRITE_LISTS: ReadonlySet<string> = new Set(['users', 'groups', 'subscribedSkus', 'directoryRoles'])
const BATCH_HEADER = 'x-emulator-batch-item'

export function graphError (code: string, message: string): { error: { code: string, message: string, innerError: Obj } } {
  return { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': randomUUID() } } }
}

/** Registers the write routes on `app` (after the emulator's /v1.0 middleware and read routes). */
export function graphWrite (app: Hono, store: WriteStore, pageSize: number): GraphWrites {
  const { users, groups } = store
  const groupProps = new Map<string, Obj>()
  const managers = new Map<string, string>()
  let skus: Sku[] = []
  const licenses = new Map<string, string[]>()
  let batchItems = 0
  let batches = 0
  let denied = false
  let itemThrottle = 0
  let itemRetryAfter = 0
  // registered before the write routes, so it runs first for them
  app.use('/v1.0/*', async (c, next) => {
    if (denied && c.req.method !== 'GET' && !c.req.path.endsWith('/$batch')) return c.json(graphError('Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'), 403)
    await next()
  })

  const notFound = (c: Context, id: string): Response => c.json(graphError('Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`), 404)
  const badRequest = (c: Context, message: string, code = 'Request_BadRequest'): Response => c.json(graphError(code, message), 400)
  /** A user by id or userPrincipalName; 'bad' for an id Graph cannot parse (400 Invalid object identifier). */
  const findUser = (key: string): WriteUser | 'missing' | 'bad' => {
    const u = users.get(key) ?? [...users.values()].find(x => typeof x.userPrincipalName === 'string' && x.userPrincipalName.toLowerCase() === key.toLowerCase())
    if (u !== undefined) return u
    return GUID.test(key) || key.includes('@') ? 'missing' : 'bad'
  }
  const findGroup = (key: string): WriteGroup | 'missing' | 'bad' => groups.get(key) ?? (GUID.test(key) ? 'missing' : 'bad')
  const lookup = <T>(c: Context, r: T | 'missing' | 'bad', id: string): T | Response => r === 'missing' ? notFound(c, id) : r === 'bad' ? badRequest(c, `Invalid object identifier '${id}'.`) : r
  const groupView = (g: WriteGroup): Obj => ({ mailEnabled: false, securityEnabled: true, ...groupProps.get(g.id), id: g.id, displayName: g.displayName })
  const upnTaken = (upn: string, except?: string): boolean => [...users.values()].some(u => u.id !== except && typeof u.userPrincipalName === 'string' && u.userPrincipalName.toLowerCase() === upn.toLowerCase())
  const refId = (v: unknown): string | undefined => typeof v === 'string' ? /\/(?:directoryObjects|users|groups)\/([^/?]+)$/.exec(v)?.[1] : undefined

  const listRoute = (c: Context, items: Obj[]): Response => {
    const q = c.req.query()
    const match = parseFilter(q.$filter)
    if (match === 'bad') return badRequest(c, `Invalid filter clause: ${q.$filter ?? ''}`, 'BadRequest')
    const top = q.$top !== undefined ? Number(q.$top) : pageSize
    if (!Number.isInteger(top) || top < 1 || top > 999) return badRequest(c, `Invalid page size specified: '${q.$top ?? ''}'. Must be between 1 and 999 inclusive.`, 'BadRequest')
    const hits = items.filter(match)
    const offset = Number(q.$skiptoken ?? 0) || 0
    const select = (q.$select ?? '').split(',').map(x => x.trim()).filter(x => x !== '')
    const body: Obj = { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata', value: hits.slice(offset, offset + top).map(o => project(o, select)) }
    if (q.$count === 'true') body['@odata.count'] = hits.length
    if (offset + top < hits.length) {
      const u = new URL(c.req.url)
      u.searchParams.set('$skiptoken', String(offset + top))
      u.searchParams.set('$top', String(top))
      body['@odata.nextLink'] = u.toString()
    }
    return c.json(body)
  }

  // users
  app.get('/v1.0/users', c => listRoute(c, [...users.values()]))
  app.get('/v1.0/users/:id', (c) => {
    const u = lookup(c, findUser(c.req.param('id')), c.req.param('id'))
    if (u instanceof Response) return u
    const select = (c.req.query('$select') ?? '').split(',').filter(x => x !== '')
    return c.json(project(u, select))
  })
  app.post('/v1.0/users', async (c) => {
    const b = await json(c)
    if (b === undefined) return badRequest(c, 'Unable to read JSON request payload.', 'BadRequest')
    for (const p of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile']) {
      if (b[p] === undefined || b[p] === null || b[p] === '') return badRequest(c, `Invalid value specified for property '${p}' of resource 'User'.`)
    }
    if (typeof b.accountEnabled !== 'boolean') return badRequest(c, "Invalid value specified for property 'accountEnabled' of resource 'User'.")
    const upn = String(b.userPrincipalName)
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(upn)) return badRequest(c, 'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.')
    if (/\s/.test(String(b.mailNickname))) return badRequest(c, "Invalid value specified for property 'mailNickname' of resource 'User'.")
    const pw = (b.passwordProfile as Obj).password
    if (typeof pw !== 'string' || !complex(pw)) return badRequest(c, 'The specified password does not comply with password complexity requirements. Please provide a different password.')
    if (upnTaken(upn)) return badRequest(c, 'Another object with the same value for property userPrincipalName already exists.')
    const { passwordProfile: _pw, ...rest } = b
    const u: WriteUser = { ...rest, id: randomUUID(), createdDateTime: new Date().toISOString() }
    store.setUser(u)
    return c.json(users.get(u.id), 201)
  })
  app.patch('/v1.0/users/:id', async (c) => {
    const u = lookup(c, findUser(c.req.param('id')), c.req.param('id'))
    if (u instanceof Response) return u
    const b = await json(c)
    if (b === undefined) return badRequest(c, 'Unable to read JSON request payload.', 'BadRequest')
    if (b.id !== undefined && b.id !== u.id) return badRequest(c, "Property 'id' is read-only and cannot be set.")
    if (typeof b.userPrincipalName === 'string' && upnTaken(b.userPrincipalName, u.id)) return badRequest(c, 'Another object with the same value for property userPrincipalName already exists.')
    const pw = (b.passwordProfile as Obj | undefined)?.password
    if (pw !== undefined && (typeof pw !== 'string' || !complex(pw))) return badRequest(c, 'The specified password does not comply with password complexity requirements. Please provide a different password.')
    const { passwordProfile: _pw, ...rest } = b
    store.setUser({ ...rest, id: u.id })
    return c.body(null, 204)
  })
  app.delete('/v1.0/users/:id', (c) => {
    const u = lookup(c, findUser(c.req.param('id')), c.req.param('id'))
    if (u instanceof Response) return u
    store.removeUser(u.id)
    managers.delete(u.id)
    for (const [k, m] of managers) if (m === u.id) managers.delete(k)
    return c.body(null, 204)
  })

  // manager
  app.get('/v1.0/users/:id/manager', (c) => {
    const u = lookup(c, findUser(c.req.param('id')), c.req.param('id'))
    if (u instanceof Response) return u
    const m = managers.get(u.id)
    const mu = m !== undefined ? users.get(m) : undefined
    return mu === undefined ? notFound(c, 'manager') : c.json({ '@odata.type': '#microsoft.graph.user', ...mu })
  })
  app.put('/v1.0/users/:id/manager/$ref', async (c) => {
    const u = lookup(c, findUser(c.req.param('id')), c.req.param('id'))
    if (u instanceof Response) return u
    const ref = refId((await json(c))?.['@odata.id'])
    if (ref === undefined) return badRequest(c, 'Invalid request: @odata.id is required.', 'BadRequest')
    if (!users.has(ref)) return notFound(c, ref)
    managers.set(u.id, ref)
    return c.body(null, 204)
  })
  app.delete('/v1.0/users/:id/manager/$ref', (c) => {
    const u = lookup(c, findUser(c.req.param('id')), c.req.param('id'))
    if (u instanceof Response) return u
    if (!managers.delete(u.id)) return notFound(c, 'manager')
    return c.body(null, 204)
  })

  // licences
  app.get('/v1.0/subscribedSkus', c => c.json({ value: skus.map(s => ({ id: `tenant_${s.skuId}`, skuId: s.skuId, skuPartNumber: s.skuPartNumber, capabilityStatus: 'Enabled', appliesTo: 'User', consumedUnits: [...licenses.values()].filter(l => l.includes(s.skuId)).length, prepaidUnits: { enabled: s.enabled ?? 25, suspended: 0, warning: 0 }, servicePlans: [] })) }))
  app.get('/v1.0/users/:id/licenseDetails', (c) => {
    const u = lookup(c, findUser(c.req.param('id')), c.req.param('id'))
    if (u instanceof Response) return u
    const value = (licenses.get(u.id) ?? []).map(id => skus.find(s => s.skuId === id)).filter(s => s !== undefined).map(s => ({ id: `${u.id}_${s.skuId}`, skuId: s.skuId, skuPartNumber: s.skuPartNumber, servicePlans: [] }))
    return c.json({ value })
  })
  app.get('/v1.0/directoryRoles', c => listRoute(c, store.roles.map(r => ({ id: r.id, displayName: r.displayName, roleTemplateId: r.id }))))

  // groups
  app.get('/v1.0/groups', c => listRoute(c, [...groups.values()].map(groupView)))
  app.get('/v1.0/groups/:id', (c) => {
    const g = lookup(c, findGroup(c.req.param('id')), c.req.param('id'))
    if (g instanceof Response) return g
    return c.json(project(groupView(g), (c.req.query('$select') ?? '').split(',').filter(x => x !== '')))
  })
  /** `members@odata.bind`: at most 20 references, each an existing user or group. */
  const binds = (c: Context, b: Obj): string[] | Response => {
    const raw = b['members@odata.bind']
    if (raw === undefined) return []
    if (!Array.isArray(raw)) return badRequest(c, "Invalid value for 'members@odata.bind'.", 'BadRequest')
    if (raw.length > 20) return badRequest(c, 'The maximum number of references that can be added in a single request is 20.', 'BadRequest')
    const ids: string[] = []
    for (const r of raw) {
      const id = refId(r)
      if (id === undefined || (!users.has(id) && !groups.has(id))) return notFound(c, String(id ?? r))
      ids.push(id)
    }
    return ids
  }
  app.post('/v1.0/groups', async (c) => {
    const b = await json(c)
    if (b === undefined) return badRequest(c, 'Unable to read JSON request payload.', 'BadRequest')
    for (const p of ['displayName', 'mailEnabled', 'mailNickname', 'securityEnabled']) {
      if (b[p] === undefined || b[p] === null || b[p] === '') return badRequest(c, `Invalid value specified for property '${p}' of resource 'Group'.`)
    }
    const members = binds(c, b)
    if (members instanceof Response) return members
    const { displayName, 'members@odata.bind': _m, ...rest } = b
    const g: WriteGroup = { id: randomUUID(), displayName: String(displayName), members: [] }
    groupProps.set(g.id, { ...rest, createdDateTime: new Date().toISOString() })
    store.addGroup(g)
    for (const m of members) store.addMember(g.id, m)
    return c.json(groupView(g), 201)
  })
  app.patch('/v1.0/groups/:id', async (c) => {
    const g = lookup(c, findGroup(c.req.param('id')), c.req.param('id'))
    if (g instanceof Response) return g
    const b = await json(c)
    if (b === undefined) return badRequest(c, 'Unable to read JSON request payload.', 'BadRequest')
    const members = binds(c, b)
    if (members instanceof Response) return members
    if (members.some(m => g.members.includes(m))) return badRequest(c, "One or more added object references already exist for the following modified properties: 'members'.")
    const { displayName, 'members@odata.bind': _m, id: _id, ...rest } = b
    if (typeof displayName === 'string' && displayName !== g.displayName) store.renameGroup(g.id, displayName)
    groupProps.set(g.id, { ...groupProps.get(g.id), ...rest })
    for (const m of members) store.addMember(g.id, m)
    return c.body(null, 204)
  })
  app.delete('/v1.0/groups/:id', (c) => {
    const g = lookup(c, findGroup(c.req.param('id')), c.req.param('id'))
    if (g instanceof Response) return g
    store.removeGroup(g.id)
    groupProps.delete(g.id)
    return c.body(null, 204)
  })
  app.get('/v1.0/groups/:id/members', (c) => {
    const g = lookup(c, findGroup(c.req.param('id')), c.req.param('id'))
    if (g instanceof Response) return g
    return listRoute(c, g.members.map(m => { const u = users.get(m); const sub = groups.get(m); return u !== undefined ? { '@odata.type': '#microsoft.graph.user', ...u } : { '@odata.type': '#microsoft.graph.group', ...(sub !== undefined ? groupView(sub) : { id: m }) } }))
  })
  app.post('/v1.0/groups/:id/members/$ref', async (c) => {
    const g = lookup(c, findGroup(c.req.param('id')), c.req.param('id'))
    if (g instanceof Response) return g
    const ref = refId((await json(c))?.['@odata.id'])
    if (ref === undefined) return badRequest(c, 'Invalid request: @odata.id is required.', 'BadRequest')
    if (!users.has(ref) && !groups.has(ref)) return notFound(c, ref)
    if (g.members.includes(ref)) return badRequest(c, "One or more added object references already exist for the following modified properties: 'members'.")
    store.addMember(g.id, ref)
    return c.body(null, 204)
  })
  app.delete('/v1.0/groups/:id/members/:member/$ref', (c) => {
    const g = lookup(c, findGroup(c.req.param('id')), c.req.param('id'))
    if (g instanceof Response) return g
    const m = c.req.param('member')
    if (!g.members.includes(m)) return notFound(c, m)
    store.removeMember(g.id, m)
    return c.body(null, 204)
  })
  app.get('/v1.0/groups/:id/memberOf', (c) => {
    const g = lookup(c, findGroup(c.req.param('id')), c.req.param('id'))
    if (g instanceof Response) return g
    return listRoute(c, [...groups.values()].filter(p => p.members.includes(g.id)).map(p => ({ '@odata.type': '#microsoft.graph.group', ...groupView(p) })))
  })

  // JSON batching: each request goes through the emulator (auth, throttling, counting) like Graph's
  app.post('/v1.0/$batch', async (c) => {
    batches++
    const b = await json(c)
    const reqs = b?.requests
    if (!Array.isArray(reqs)) return badRequest(c, 'Invalid batch payload: requests is required.', 'BadRequest')
    if (reqs.length > 20) return badRequest(c, 'The number of requests in the batch exceeds the limit of 20.', 'BadRequest')
    const ids = new Set<string>()
    const responses: Obj[] = []
    for (const r of reqs as Obj[]) {
      const id = String(r.id ?? '')
      if (id === '' || ids.has(id)) return badRequest(c, `Invalid batch payload: request id '${id}' is missing or not unique.`, 'BadRequest')
      ids.add(id)
      batchItems++
      if (itemThrottle > 0) {
        itemThrottle--
        responses.push({ id, status: 429, headers: { 'Retry-After': String(itemRetryAfter) }, body: graphError('TooManyRequests', 'Too many requests (emulated, batch item).') })
        continue
      }
      const url = String(r.url ?? '')
      const headers: Record<string, string> = { authorization: c.req.header('authorization') ?? '', [BATCH_HEADER]: '1' }
      if (r.body !== undefined) headers['content-type'] = 'application/json'
      // the outer request's origin, so @odata.nextLink of a batched list points back at this emulator
      const res = await app.request(`${new URL(c.req.url).origin}/v1.0${url.startsWith('/') ? url : `/${url}`}`, { method: String(r.method ?? 'GET'), headers, ...(r.body !== undefined ? { body: JSON.stringify(r.body) } : {}) })
      const text = await res.text()
      const rh: Record<string, string> = {}
      res.headers.forEach((v, k) => { if (k === 'retry-after' || k === 'content-type') rh[k === 'retry-after' ? 'Retry-After' : 'Content-Type'] = v })
      responses.push({ id, status: res.status, headers: rh, ...(text !== '' ? { body: JSON.parse(text) as unknown } : {}) })
    }
    return c.json({ responses })
  })

  return {
    setSkus (s) { skus = [...s] },
    setLicenses (userId, ids) { licenses.set(userId, [...ids]) },
    managerOf: id => managers.get(id),
    get batchItems () { return batchItems },
    get batches () { return batches },
    groupProps: id => groupProps.get(id),
    denyWrites (on) { denied = on },
    throttleBatchItems (count, retryAfter) { itemThrottle = count; itemRetryAfter = retryAfter }
  }
}

async function json (c: Context): Promise<Obj | undefined> {
  try {
    const b: unknown = await c.req.json()
    return typeof b === 'object' && b !== null && !Array.isArray(b) ? b as Obj : undefined
  } catch {
    return undefined
  }
}

/** Graph's complexity rule: 8+ characters, three of lower, upper, digit, symbol. */
function complex (pw: string): boolean {
  return pw.length >= 8 && [/[a-z]/, /[A-Z]/, /\d/, /[^a-zA-Z\d]/].filter(r => r.test(pw)).length >= 3
}

function project (o: Obj, select: readonly string[]): Obj {
  if (select.length === 0) return { ...o }
  const out: Obj = { id: o.id }
  if (o['@odata.type'] !== undefined) out['@odata.type'] = o['@odata.type']
  for (const k of select) if (k in o) out[k] = o[k]
  return out
}

/**
 * The OData `$filter` subset Graph supports on users/groups without advanced queries: clauses
 * `prop eq 'v'` and `startswith(prop,'v')` (case-insensitive, '' escapes a quote), joined by `and`/`or`.
 */
export function parseFilter (f: string | undefined): ((o: Obj) => boolean) | 'bad' {
  if (f === undefined || f.trim() === '') return () => true
  const clause = /^\s*(?:([A-Za-z][\w/]*)\s+eq\s+'((?:[^']|'')*)'|startswith\(\s*([A-Za-z][\w/]*)\s*,\s*'((?:[^']|'')*)'\s*\)|([A-Za-z][\w/]*)\s+eq\s+(true|false))\s*/i
  const tests: Array<(o: Obj) => boolean> = []
  const joins: string[] = []
  let rest = f
  for (;;) {
    const m = clause.exec(rest)
    if (m === null) return 'bad'
    rest = rest.slice(m[0].length)
    const prop = m[1] ?? m[3] ?? m[5] ?? ''
    const val = (m[2] ?? m[4] ?? '').replace(/''/g, "'").toLowerCase()
    const get = (o: Obj): unknown => o[prop]
    if (m[5] !== undefined) { const b = m[6]?.toLowerCase() === 'true'; tests.push(o => get(o) === b) } else if (m[3] !== undefined) tests.push(o => typeof get(o) === 'string' && (get(o) as string).toLowerCase().startsWith(val))
    else tests.push(o => typeof get(o) === 'string' && (get(o) as string).toLowerCase() === val)
    if (rest.trim() === '') break
    const j = /^(and|or)\s+/i.exec(rest)
    if (j === null) return 'bad'
    joins.push((j[1] ?? '').toLowerCase())
    rest = rest.slice(j[0].length)
  }
  return (o) => {
    let acc = tests[0]?.(o) ?? true
    for (let i = 0; i < joins.length; i++) acc = joins[i] === 'and' ? acc && (tests[i + 1]?.(o) ?? true) : acc || (tests[i + 1]?.(o) ?? true)
    return acc
  }
}
