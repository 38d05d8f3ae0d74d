// plugin-soap: a SCIM ↔ SOAP example plugin (scimgateway's plugin-soap): users are provisioned to a
// document/literal SOAP service described by a WSDL (SearchUsers, CreateUser, UpdateUser,
// DeleteUser), with WS-Security UsernameToken credentials; one `soap` client per baseEntity. SOAP
// faults come back as SCIM errors (Client.NotFound → 404, Client.Duplicate → 409 uniqueness,
// Client.Invalid → 400), an unreachable service as 503.
import { isAbsolute, resolve } from 'node:path'
import * as soap from 'soap'
import { InvalidValueError, NotFoundError, ScimError, UniquenessError } from '../scim/errors.ts'
import { isJsonObject } from '../scim/types.ts'
import type { GetQuery, GetResult, Logger, Modification, PluginContext, ScimPlugin, ScimResource } from './types.ts'
import { definePlugin, EntityHandles, toUpstreamError, UpstreamError } from './sdk/index.ts'
import { soapEndpointSchema, soapEntities, type SoapEndpoint, type SoapEntity } from './soap/options.ts'
import { fromSoapUser, toSoapUser, userList } from './soap/mapping.ts'

export { soapEndpointSchema } from './soap/options.ts'

type Call = (args: unknown, options?: Record<string, unknown>) => Promise<[unknown, ...unknown[]]>
interface Handle { client: soap.Client, timeoutMs: number }

/** Searchable attributes of the service (SCIM attribute → SearchUsers attribute). */
const SEARCHABLE: Record<string, string> = { id: 'id', username: 'userName', 'emails.value': 'email', emails: 'email' }

/** Characters XML 1.0 cannot carry: an id containing one cannot exist at the service. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/
const possibleId = (id: string): boolean => id !== '' && !NOT_XML.test(id)

/** The SCIM error a SOAP call failure means. */
function toScimError (err: unknown, what: string): Error {
  const f = (err as { root?: { Envelope?: { Body?: { Fault?: { faultcode?: unknown, faultstring?: unknown } } } } }).root?.Envelope?.Body?.Fault
  if (f !== undefined) {
    const code = String(f.faultcode ?? '')
    const text = `${what}: ${String(f.faultstring ?? code)}`
    if (code.endsWith('Client.NotFound')) return new NotFoundError(text)
    if (code.endsWith('Client.Duplicate')) return new UniquenessError(text)
    if (code.endsWith('Client.Invalid')) return new InvalidValueError(text)
    return new UpstreamError(`${text} (SOAP fault ${code})`, { cause: err })
  }
  return toUpstreamError(err, what) ?? new UpstreamError(`${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
}

/**
 * Creates the SOAP plugin from a validated endpoint section; relative WSDL paths resolve against
 * `configDir`.
 */
export function createSoapPlugin (endpoint: SoapEndpoint, configDir: string): ScimPlugin {
  const handles = new EntityHandles<SoapEntity, Handle>({
    entities: soapEntities(endpoint),
    async open (cfg) {
      const wsdl = /^https?:\/\//.test(cfg.wsdl) || isAbsolute(cfg.wsdl) ? cfg.wsdl : resolve(configDir, cfg.wsdl)
      const client = await soap.createClientAsync(wsdl, cfg.serviceUrl !== undefined ? { endpoint: cfg.serviceUrl } : {})
      if (cfg.username !== undefined) client.setSecurity(new soap.WSSecurity(cfg.username, cfg.password ?? '', { passwordType: 'PasswordText', hasTimeStamp: false }))
      return { client, timeoutMs: cfg.timeoutMs }
    },
    async check (h) { await invoke(h, 'SearchUsers', { attribute: 'id', value: '-' }) }
  })

  const invoke = async (h: Handle, op: string, args: unknown): Promise<unknown> => {
    const fn = (h.client as unknown as Record<string, Call | undefined>)[`${op}Async`]
    if (typeof fn !== 'function') throw new UpstreamError(`the WSDL has no operation ${op}`)
    try {
      const [result] = await fn.call(h.client, args, { timeout: h.timeoutMs })
      return result
    } catch (err) { throw toScimError(err, op) }
  }
  const use = async (ctx: PluginContext): Promise<Handle> => (await handles.get(ctx)).handle
  const byId = async (h: Handle, id: string): Promise<ScimResource | undefined> => {
    const u = userList(await invoke(h, 'SearchUsers', { attribute: 'id', value: id }))[0]
    return u === undefined ? undefined : fromSoapUser(u)
  }

  return {
    name: 'soap',
    capabilities: { filter: 'simple' },
    async start (log: Logger): Promise<void> { await handles.start(log) },
    async stop (): Promise<void> { await handles.stop() },
    async health () { return await handles.health() },

    /** `eq` on id, userName or emails.value is searched by the service; anything else lists all users. */
    async getUsers (query: GetQuery, ctx: PluginContext): Promise<GetResult> {
      const h = await use(ctx)
      const s = query.simple
      const attr = s?.operator === 'eq' ? SEARCHABLE[s.attribute.toLowerCase()] : undefined
      if (attr !== undefined && s !== undefined && NOT_XML.test(s.value)) return { Resources: [] }
      const args = attr !== undefined && s !== undefined ? { attribute: attr, value: s.value } : {}
      return { Resources: userList(await invoke(h, 'SearchUsers', args)).map(fromSoapUser) }
    },

    async createUser (user: ScimResource, ctx: PluginContext): Promise<ScimResource> {
      if (typeof user.userName !== 'string' || user.userName === '') throw new InvalidValueError('userName is required')
      const r = userList(await invoke(await use(ctx), 'CreateUser', { user: toSoapUser(user) }))[0]
      if (r === undefined) throw new UpstreamError('CreateUser answered without a user')
      return fromSoapUser(r)
    },

    async modifyUser (id: string, mod: Modification, ctx: PluginContext): Promise<ScimResource> {
      if (!isJsonObject(mod.resource)) throw new InvalidValueError('modification without a resource')
      if (!possibleId(id)) throw new NotFoundError(`user ${JSON.stringify(id)} not found`)
      const h = await use(ctx)
      const r = userList(await invoke(h, 'UpdateUser', { user: toSoapUser(mod.resource, id) }))[0]
      return r === undefined ? (await byId(h, id)) ?? { id } : fromSoapUser(r)
    },

    async deleteUser (id: string, ctx: PluginContext): Promise<void> {
      if (!possibleId(id)) throw new NotFoundError(`user ${JSON.stringify(id)} not found`)
      const r = await invoke(await use(ctx), 'DeleteUser', { id })
      const deleted = (r as { deleted?: unknown } | undefined)?.deleted
      if (deleted !== true && deleted !== 'true') throw new ScimError(502, undefined, `DeleteUser of ${id} did not confirm the deletion`)
    }
  }
}

/** The plugin as `runGateway(soapPlugin)` starts it from config/plugin-soap.json. */
export const soapPlugin = definePlugin({ name: 'soap', endpoint: soapEndpointSchema, create: (endpoint, env) => createSoapPlugin(endpoint, env.configDir) })
