// Test support for the engine's tests (imported only by *.test.ts): a real ScimService over an
// in-memory plugin-loki, a request context, and the endpoint state as GET returns it, normalised for
// comparison (ids replaced by userNames/displayNames, meta dropped, users' `groups` and groups'
// `members` always present as sorted name lists).
import { ScimService } from '../../core/service.ts'
import type { RequestContext } from '../../core/context.ts'
import { createLokiPlugin } from '../../plugins/plugin-loki.ts'
import type { ScimPlugin } from '../../plugins/types.ts'
import { silentLogger } from '../../logging/types.ts'
import { isJsonObject, type JsonObject, type JsonValue, type ScimResource } from '../../scim/types.ts'

/** A fresh service over an empty, started in-memory store. */
export async function newService (): Promise<ScimService> {
  return (await newRecordingService()).service
}

/**
 * A fresh service whose plugin (plugin-loki, unchanged) is observed: the passwords it was asked to
 * create users with are recorded by userName (plugin-loki itself never stores passwords).
 */
export async function newRecordingService (): Promise<{ service: ScimService, passwords: Map<string, string | undefined> }> {
  const loki = createLokiPlugin({ persistence: 'memory', demoData: false })
  await loki.start?.(silentLogger)
  const passwords = new Map<string, string | undefined>()
  const createUser = loki.createUser?.bind(loki)
  const plugin: ScimPlugin = {
    ...loki,
    name: loki.name,
    async createUser (user, ctx) {
      passwords.set(String(user.userName), typeof user.password === 'string' ? user.password : undefined)
      if (createUser === undefined) throw new Error('plugin-loki has no createUser')
      return await createUser(user, ctx)
    }
  }
  const service = new ScimService({ plugin, usePutSoftSync: false, skipMetaLocation: true, defaultCount: 100, maxResults: 1000 })
  return { service, passwords }
}

/** A request context for one application. */
export function newContext (requestId = 'test'): RequestContext {
  return { baseEntity: undefined, requestId, log: silentLogger, signal: new AbortController().signal, locationBase: 'http://localhost/scim/v2', version: '2.0' }
}

/** Endpoint state: users by userName, groups by displayName, as GET returns them (normalised). */
export interface EndpointState {
  users: Record<string, JsonObject>
  groups: Record<string, JsonObject>
}

/** Reads the whole endpoint through the service. */
export async function endpointState (service: ScimService, rc: RequestContext): Promise<EndpointState> {
  const q = { startIndex: 1, count: 1000, attributes: [], excludedAttributes: [] }
  const users = (await service.list('Users', q, rc)).Resources
  const groups = (await service.list('Groups', q, rc)).Resources
  const nameOf = new Map<string, string>()
  for (const u of users) if (typeof u.id === 'string') nameOf.set(u.id, String(u.userName))
  for (const g of groups) if (typeof g.id === 'string') nameOf.set(g.id, String(g.displayName))
  const out: EndpointState = { users: {}, groups: {} }
  for (const u of users) out.users[String(u.userName)] = { ...clean(u, nameOf), groups: refs(u.groups, nameOf) }
  for (const g of groups) out.groups[String(g.displayName)] = { ...clean(g, nameOf), members: refs(g.members, nameOf) }
  return out
}

/** Member/group references as sorted names ([] when none). */
function refs (v: JsonValue | undefined, nameOf: Map<string, string>): string[] {
  return Array.isArray(v) ? v.filter(isJsonObject).map(m => nameOf.get(String(m.value)) ?? String(m.value)).sort() : []
}

function clean (r: ScimResource, nameOf: Map<string, string>): JsonObject {
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(r)) {
    if (k === 'id' || k === 'meta' || k === 'schemas' || k === 'members' || k === 'groups') continue
    out[k] = v as JsonValue
  }
  return out
}
