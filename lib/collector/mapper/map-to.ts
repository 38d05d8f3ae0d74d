// map_to targets: SCIM paths compiled once into setters that write a value into the message user.
//   title | name.givenName | emails[type eq "work"].value (creates or updates the typed element)
//   urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value (and lists the URN in schemas)
//   onCreate.<any of the above> (kept under `onCreate`, applied by the subscriber only on create)
// A value filter may only use `eq` comparisons joined by `and`: they describe the element to create.
import { parsePatchPath, type FilterNode } from '../../scim/filter/index.ts'
import { findKey } from '../../scim/filter/index.ts'
import { isJsonObject, type JsonObject, type JsonValue } from '../../scim/types.ts'

/** SCIM core User schema URN. */
export const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'
const KNOWN_URIS = [CORE_USER_SCHEMA, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']

/** Writes a value at a compiled map_to path. */
export type Setter = (user: JsonObject, value: JsonValue) => void

/**
 * Compiles a map_to path into a setter.
 * Without `spellings`, names are matched case-insensitively against the keys the user already has
 * (for users from elsewhere, e.g. dynamics). With it (the mapper, which builds the user itself from
 * its own setters), every name is fixed at compile time to the first spelling the config used, so a
 * write is a plain property access.
 * @throws Error with a readable reason (the caller adds the config path)
 * @example compileMapTo('emails[type eq "work"].value')(user, 'a@x.org')
 */
export function compileMapTo (text: string, spellings?: Map<string, string>): Setter {
  const canon = (name: string): string => {
    if (spellings === undefined) return name
    const l = name.toLowerCase()
    const known = spellings.get(l)
    if (known !== undefined) return known
    spellings.set(l, name)
    return name
  }
  const keyIn = spellings === undefined ? (obj: JsonObject, name: string): string => findKey(obj, name) ?? name : (_obj: JsonObject, name: string): string => name
  const child = (obj: JsonObject, name: string): JsonObject => {
    const k = keyIn(obj, name)
    const cur = obj[k]
    if (isJsonObject(cur)) return cur
    const created: JsonObject = {}
    obj[k] = created
    return created
  }
  // SCIM Stream's documentation also writes `…:enterprise:2.0:User.manager.value`: the same attribute.
  const t = text.trim().replace(/^(urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User)\./i, '$1:')
  if (/^onCreate\./i.test(t)) {
    const inner = compileMapTo(t.slice('onCreate.'.length), spellings)
    const oc = canon('onCreate')
    return (user, value) => inner(child(user, oc), value)
  }
  let p
  try {
    p = parsePatchPath(t, { schemaUris: KNOWN_URIS })
  } catch (err) {
    throw new Error((err as Error).message.replace(/^.*?:\s*/, ''))
  }
  const { path, filter } = p
  if (path.attr === '') throw new Error('map_to must name an attribute, not a whole schema')
  const uri = path.uri !== undefined && path.uri.toLowerCase() !== CORE_USER_SCHEMA.toLowerCase() ? canon(path.uri) : undefined
  const container = (user: JsonObject): JsonObject => {
    if (uri === undefined) return user
    addSchema(user, uri)
    return child(user, uri)
  }
  const attr = canon(path.attr)
  if (filter === undefined) {
    const sub = path.sub === undefined ? undefined : canon(path.sub)
    if (sub === undefined) return (user, value) => { const c = container(user); c[keyIn(c, attr)] = value }
    return (user, value) => { const c = child(container(user), attr); c[keyIn(c, sub)] = value }
  }
  if (path.sub !== undefined) throw new Error('a value filter must follow the attribute name')
  const subAttr = p.subAttr === undefined ? undefined : canon(p.subAttr)
  const template = eqTemplate(filter)
  return (user, value) => {
    const obj = container(user)
    const k = keyIn(obj, attr)
    const cur = obj[k]
    const list: JsonValue[] = Array.isArray(cur) ? cur : []
    obj[k] = list
    let el = list.find((e): e is JsonObject => isJsonObject(e) && matches(e, template))
    if (el === undefined) {
      el = Object.assign({}, template) // not a spread: keys are added next
      list.push(el)
    }
    if (subAttr !== undefined && Array.isArray(value) && value.every(v => v === null || typeof v !== 'object')) {
      // A multi-valued source (Graph otherMails, businessPhones): one element per value, typed alike.
      const vals = value.filter(v => v !== null)
      if (vals.length === 0) { if (Object.keys(el).length === Object.keys(template).length) list.splice(list.indexOf(el), 1); return }
      setCI(el, subAttr, vals[0] as JsonValue)
      for (const v of vals.slice(1)) list.push(Object.assign({}, template, { [subAttr]: v }))
    } else if (subAttr !== undefined) setCI(el, subAttr, value)
    else if (isJsonObject(value)) Object.assign(el, value)
    else throw new Error(`${attr}[…] without a sub-attribute needs an object value`)
  }
}

function eqTemplate (f: FilterNode): JsonObject {
  if (f.type === 'and') return { ...eqTemplate(f.left), ...eqTemplate(f.right) }
  if (f.type === 'compare' && f.op === 'eq' && f.path.sub === undefined && f.path.uri === undefined) return { [f.path.attr]: f.value }
  throw new Error('a map_to value filter may only use "eq" comparisons joined by "and" (e.g. emails[type eq "work"].value)')
}

function matches (e: JsonObject, template: JsonObject): boolean {
  for (const k in template) {
    const want = template[k]
    const key = findKey(e, k)
    const got = key === undefined ? undefined : e[key]
    if (typeof want === 'string' && typeof got === 'string' ? want.toLowerCase() !== got.toLowerCase() : want !== got) return false
  }
  return true
}

function setCI (obj: JsonObject, name: string, value: JsonValue): void {
  obj[findKey(obj, name) ?? name] = value
}

function addSchema (user: JsonObject, uri: string): void {
  const s = user.schemas
  if (!Array.isArray(s)) { user.schemas = [CORE_USER_SCHEMA, uri]; return }
  if (!s.some(x => typeof x === 'string' && x.toLowerCase() === uri.toLowerCase())) s.push(uri)
}
