// SCIM-side targets of the endpointMapper: parses a `mapTo` path against the core schemas and reads or
// writes that place in a SCIM resource. The forms (scimgateway's):
//   userName · name.givenName · emails.work (the `value` of the work email) · addresses.work.postalCode
//   groups.value / members.value / roles.value (the value of every element) · emails (whole elements)
//   urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.employeeNumber (and .manager.value)
// Attributes not in the schema (scimgateway plugins often have custom ones) are plain or `a.b` nested.
import type { AttributeDef, JsonObject, JsonValue, SchemaDef } from '../../scim/types.ts'
import { isJsonObject } from '../../scim/types.ts'
import { COMMON_ATTRIBUTES, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from '../../scim/schema/definitions.ts'

export type Kind = 'user' | 'group'

/** One parsed SCIM path. */
export interface Target {
  raw: string
  /** Extension URN the attribute lives in (its object in the resource), if any. */
  urn?: string
  /** The attribute's canonical name (schema spelling when known). */
  attr: string
  def?: AttributeDef
  /**
   * 'plain': the attribute itself; 'sub': a sub-attribute of a single complex attribute;
   * 'typed': `sub` of the element whose `type` is `typeValue`; 'each': `sub` of every element;
   * 'elements': the elements as they are.
   */
  form: 'plain' | 'sub' | 'typed' | 'each' | 'elements'
  sub?: string
  typeValue?: string
}

const SCHEMAS: Record<Kind, SchemaDef[]> = { user: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA], group: [GROUP_SCHEMA] }

function findAttr (defs: readonly AttributeDef[], name: string): AttributeDef | undefined {
  const n = name.toLowerCase()
  return defs.find(d => d.name.toLowerCase() === n)
}

/** The schema a mapping's path belongs to (for /Schemas): the core one, or the extension's URN. */
export function schemaIdOf (kind: Kind, t: Target): string {
  return t.urn ?? (SCHEMAS[kind][0]?.id ?? '')
}

/**
 * Parses one `mapTo` path.
 * @example parseTarget('user', 'emails.work') // { attr: 'emails', form: 'typed', typeValue: 'work', sub: 'value' }
 */
export function parseTarget (kind: Kind, raw: string): Target {
  let rest = raw.trim()
  let urn: string | undefined
  let attrs: readonly AttributeDef[] = [...COMMON_ATTRIBUTES, ...(SCHEMAS[kind][0]?.attributes ?? [])]
  if (rest.toLowerCase().startsWith('urn:')) {
    const schema = SCHEMAS[kind].slice(1).find(sd => rest.toLowerCase().startsWith(`${sd.id.toLowerCase()}.`))
    if (schema !== undefined) {
      urn = schema.id
      attrs = schema.attributes
      rest = rest.slice(schema.id.length + 1)
    } else {
      // an unknown extension: the URN ends at the first '.' after its last ':'
      const dot = rest.indexOf('.', rest.lastIndexOf(':'))
      if (dot === -1) return { raw, attr: rest, form: 'plain' }
      urn = rest.slice(0, dot)
      attrs = []
      rest = rest.slice(dot + 1)
    }
  }
  const [first = '', second, third] = rest.split('.')
  const def = findAttr(attrs, first)
  const attr = def?.name ?? first
  const base = { raw, attr, ...(urn !== undefined ? { urn } : {}), ...(def !== undefined ? { def } : {}) }
  if (second === undefined) return { ...base, form: def?.multiValued === true ? 'elements' : 'plain' }
  if (def?.multiValued === true) {
    const sub = findAttr(def.subAttributes ?? [], second)
    if (sub !== undefined && third === undefined) return { ...base, form: 'each', sub: sub.name }
    const subName = third === undefined ? 'value' : (findAttr(def.subAttributes ?? [], third)?.name ?? third)
    return { ...base, form: 'typed', typeValue: second, sub: subName }
  }
  const sub = def !== undefined ? findAttr(def.subAttributes ?? [], second)?.name ?? second : second
  return { ...base, form: 'sub', sub }
}

function container (r: JsonObject, t: Target, create: boolean): JsonObject | undefined {
  if (t.urn === undefined) return r
  const c = r[t.urn] ?? findKey(r, t.urn)
  if (isJsonObject(c)) return c
  if (!create) return undefined
  const made: JsonObject = {}
  r[t.urn] = made
  return made
}

function findKey (r: JsonObject, name: string): JsonValue | undefined {
  const n = name.toLowerCase()
  for (const [k, v] of Object.entries(r)) if (k.toLowerCase() === n) return v
  return undefined
}

/** The value at a target: a scalar, an array (each/elements) or undefined. */
export function getAt (r: JsonObject, t: Target): JsonValue | undefined {
  const c = container(r, t, false)
  if (c === undefined) return undefined
  const v = c[t.attr] ?? findKey(c, t.attr)
  if (v === undefined || v === null) return undefined
  switch (t.form) {
    case 'plain':
    case 'elements':
      return v
    case 'sub':
      return isJsonObject(v) ? (v[t.sub ?? ''] ?? findKey(v, t.sub ?? '') ?? undefined) : undefined
    case 'each':
      return Array.isArray(v) ? v.flatMap(el => isJsonObject(el) && el[t.sub ?? 'value'] !== undefined && el[t.sub ?? 'value'] !== null ? [el[t.sub ?? 'value'] as JsonValue] : []) : undefined
    case 'typed': {
      if (!Array.isArray(v)) return undefined
      const want = (t.typeValue ?? '').toLowerCase()
      const el = v.find(e => isJsonObject(e) && typeof e.type === 'string' && e.type.toLowerCase() === want)
      return isJsonObject(el) ? (el[t.sub ?? 'value'] ?? undefined) : undefined
    }
  }
}

/** Writes a value at a target, creating the containers, the typed element or the elements. */
export function setAt (r: JsonObject, t: Target, value: JsonValue): void {
  const c = container(r, t, true)
  if (c === undefined) return
  switch (t.form) {
    case 'plain':
      c[t.attr] = value
      return
    case 'elements':
      c[t.attr] = (Array.isArray(value) ? value : [value]).map(el => isJsonObject(el) ? el : { value: el })
      return
    case 'sub': {
      const cur = c[t.attr]
      const obj: JsonObject = isJsonObject(cur) ? cur : {}
      obj[t.sub ?? 'value'] = value
      c[t.attr] = obj
      return
    }
    case 'each':
      c[t.attr] = (Array.isArray(value) ? value : [value]).map(el => ({ [t.sub ?? 'value']: el }))
      return
    case 'typed': {
      const cur = c[t.attr]
      const list: JsonValue[] = Array.isArray(cur) ? cur : []
      const want = (t.typeValue ?? '').toLowerCase()
      let el = list.find(e => isJsonObject(e) && typeof e.type === 'string' && e.type.toLowerCase() === want)
      if (!isJsonObject(el)) {
        el = { type: t.typeValue ?? '' }
        list.push(el)
      }
      el[t.sub ?? 'value'] = value
      c[t.attr] = list
    }
  }
}

/** Whether a SCIM attribute path (as in a filter or a PATCH path) addresses this target. */
export function addresses (t: Target, path: string): boolean {
  const p = path.toLowerCase()
  const prefix = t.urn !== undefined ? `${t.urn.toLowerCase()}:` : ''
  const top = `${prefix}${t.attr.toLowerCase()}`
  if (t.urn !== undefined && p === t.urn.toLowerCase()) return true
  if (p === top || (t.urn === undefined && p === t.attr.toLowerCase())) return true
  if (!p.startsWith(`${top}.`) && !p.startsWith(`${top}[`)) return false
  const sub = p.slice(top.length + 1)
  if (t.form === 'sub' || t.form === 'each') return sub.split(/[.[]/)[0] === (t.sub ?? '').toLowerCase()
  return true
}
