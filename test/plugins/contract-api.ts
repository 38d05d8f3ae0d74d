// Helpers of the plugin contract suite (test/plugins/contract.ts): a typed, context-filling wrapper
// around the plugin methods, the request context and GetQuery the gateway would build, and small
// accessors. Exported for plugin test files that need the same helpers.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { isScimError } from '../../lib/scim/errors.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import type { GetQuery, GetResult, JsonObject, MemberDelta, PluginContext, ScimPlugin, ScimResource, SimpleFilter } from '../../lib/plugins/types.ts'

/** Typed, context-filling wrapper around the plugin methods the suite calls. */
export class Api {
  constructor (readonly plugin: ScimPlugin) {}

  private fn<K extends keyof ScimPlugin> (k: K): NonNullable<ScimPlugin[K]> {
    const f = this.plugin[k]
    assert.ok(typeof f === 'function', `plugin ${this.plugin.name} implements ${String(k)}`)
    return (f as (...args: unknown[]) => unknown).bind(this.plugin) as NonNullable<ScimPlugin[K]>
  }

  async get (kind: 'Users' | 'Groups', simple: SimpleFilter, be?: string): Promise<GetResult> {
    return kind === 'Users' ? await this.getUsers(simple, be) : await this.getGroups(simple, be)
  }

  async getUsers (simple: SimpleFilter, be?: string): Promise<GetResult> { return await this.fn('getUsers')(query(simple), ctx(be)) }
  async getGroups (simple: SimpleFilter, be?: string): Promise<GetResult> { return await this.fn('getGroups')(query(simple), ctx(be)) }
  async list (kind: 'Users' | 'Groups', count: number, be?: string): Promise<GetResult> {
    const q: GetQuery = { attributes: [], excludedAttributes: [], startIndex: 1, count }
    return kind === 'Users' ? await this.fn('getUsers')(q, ctx(be)) : await this.fn('getGroups')(q, ctx(be))
  }

  /** A plain list page: no filter, `startIndex`/`count` as a client would ask. */
  async page (kind: 'Users' | 'Groups', startIndex: number, count: number, be?: string): Promise<GetResult> {
    const q: GetQuery = { attributes: [], excludedAttributes: [], startIndex, count }
    return kind === 'Users' ? await this.fn('getUsers')(q, ctx(be)) : await this.fn('getGroups')(q, ctx(be))
  }

  async userById (id: string, be?: string): Promise<ScimResource | undefined> {
    return (await this.getUsers({ attribute: 'id', operator: 'eq', value: id }, be)).Resources.find(r => r.id === id)
  }

  async groupById (id: string, be?: string): Promise<ScimResource | undefined> {
    return (await this.getGroups({ attribute: 'id', operator: 'eq', value: id }, be)).Resources.find(r => r.id === id)
  }

  async createUser (u: ScimResource, be?: string): Promise<ScimResource> { return await this.fn('createUser')({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], ...u }, ctx(be)) }
  async createGroup (g: ScimResource, be?: string): Promise<ScimResource> { return await this.fn('createGroup')({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], ...g }, ctx(be)) }
  async modifyUser (id: string, resource: ScimResource | undefined, be?: string): Promise<ScimResource | undefined> {
    assert.ok(resource !== undefined)
    return await this.fn('modifyUser')(id, { resource, operations: [] }, ctx(be))
  }

  async modifyGroup (id: string, resource: ScimResource | undefined, be?: string): Promise<ScimResource | undefined> {
    assert.ok(resource !== undefined)
    return await this.fn('modifyGroup')(id, { resource, operations: [] }, ctx(be))
  }

  /** A member delta as the gateway sends it (see Modification.members). */
  async memberDelta (id: string, delta: MemberDelta, be?: string): Promise<ScimResource | undefined> {
    return await this.fn('modifyGroup')(id, { resource: { id }, operations: [], members: delta }, ctx(be))
  }

  declaresMemberDelta (): boolean { return this.plugin.capabilities?.groupMemberDelta === true }

  async deleteUser (id: string, be?: string): Promise<void> { await this.fn('deleteUser')(id, ctx(be)) }
  async deleteGroup (id: string, be?: string): Promise<void> { await this.fn('deleteGroup')(id, ctx(be)) }
}

/** A request context as the gateway builds it. */
export function ctx (baseEntity?: string): PluginContext {
  return { baseEntity, log: silentLogger, signal: new AbortController().signal, requestId: `contract-${randomUUID()}` }
}

/** A GetQuery for one comparison, with the filter AST the gateway would also pass. */
export function query (simple: SimpleFilter): GetQuery {
  const [attr, sub] = simple.attribute.split('.')
  const path = sub === undefined ? { attr: attr ?? '' } : { attr: attr ?? '', sub }
  const filter = simple.operator === 'pr'
    ? { type: 'present' as const, path }
    : { type: 'compare' as const, path, op: simple.operator, value: simple.value }
  return { filter, simple, rawFilter: `${simple.attribute} ${simple.operator} ${JSON.stringify(simple.value)}`, attributes: [], excludedAttributes: [], startIndex: 1 }
}

/** The ScimError a promise rejects with (fails the test if it resolves or rejects with anything else). */
export async function rejection (p: Promise<unknown>): Promise<{ status: number, scimType: string | undefined, detail: string }> {
  try { await p } catch (e) {
    assert.ok(isScimError(e), `expected a ScimError, got ${String(e)}`)
    return e
  }
  assert.fail('expected a rejection')
}

export function uniq (prefix: string): string { return `${prefix}-${randomUUID().slice(0, 8)}` }

export function idOf (r: ScimResource): string {
  assert.equal(typeof r.id, 'string')
  return r.id ?? ''
}

export function pick (v: unknown, keys: string[]): JsonObject {
  const out: JsonObject = {}
  if (typeof v === 'object' && v !== null) for (const k of keys) out[k] = (v as JsonObject)[k]
  return out
}

export function values (v: unknown): string[] {
  if (!Array.isArray(v)) return []
  return v.flatMap(x => typeof x === 'object' && x !== null && typeof (x as JsonObject).value === 'string' ? [String((x as JsonObject).value)] : [])
}

export function firstValue (v: unknown): string | undefined { return values(v)[0] }
export function memberIds (g: ScimResource | undefined): string[] { return values(g?.members) }
export function groupIds (u: ScimResource | undefined): string[] { return values(u?.groups) }

/** `true`: the plugin has the behaviour; a string: it has not, and why (printed as the skip reason). */
export type Capability = true | string

/** node:test options: skip with the reason, or run. */
export function opt (c: Capability | undefined): { skip?: string } {
  return c === true || c === undefined ? {} : { skip: c }
}

/** Ids the suite tries on every plugin: empty, unknown, traversal, control characters, injection, huge. */
export const BAD_IDS = ['', 'does-not-exist', '../../etc/passwd', '%00', '\u0000', 'x'.repeat(2000), '"); DROP TABLE users;--', '*', '(|(uid=*))', 'ünïcødé', ' ', randomUUID().toUpperCase()]
