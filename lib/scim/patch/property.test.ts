// Property tests of the PATCH engine (fast-check):
// - any request body, any operations (valid, odd or garbage) on any resource: parsePatchRequest /
//   applyPatch return a resource or throw a ScimError, nothing else, and never mutate their input;
// - diff round trip: applyPatch(before, diffResources(before, after)) equals `after` up to the order
//   of multi-valued elements and of `schemas`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { applyPatch, diffResources, parsePatchRequest } from './index.ts'
import type { PatchOperation } from './index.ts'
import { coreResourceSchema } from '../schema/resolve.ts'
import { ScimError } from '../errors.ts'
import type { JsonObject, JsonValue, ScimResource } from '../types.ts'
import { isJsonObject } from '../types.ts'

const USER = coreResourceSchema('User')
const GROUP = coreResourceSchema('Group')
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const ACME = 'urn:acme:scim:ext:1.0:User'

// ---- generators -------------------------------------------------------------------------------

const text = fc.string({ maxLength: 12 })
const word = fc.stringMatching(/^[a-z][a-z0-9.@-]{0,10}$/)

// values include quotes, backslashes and spaces: diff writes them into filter literals
const elementValue = fc.oneof(word, fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom('a"b', 'c\\d', ' x ', 'é'))
const emailEl = fc.record({
  value: elementValue,
  type: fc.constantFrom('work', 'home', 'other'),
  display: text
}, { requiredKeys: ['value'] })

/** A plausible User: unique email / phone values, at most one primary, optional extensions. */
const userArb: fc.Arbitrary<ScimResource> = fc.record({
  userName: word,
  displayName: text,
  title: text,
  active: fc.boolean(),
  name: fc.record({ givenName: text, familyName: text, middleName: text }, { requiredKeys: [] }),
  emails: fc.uniqueArray(emailEl, { maxLength: 4, selector: e => e.value.toLowerCase() }),
  phoneNumbers: fc.uniqueArray(emailEl, { maxLength: 3, selector: e => e.value.toLowerCase() }),
  addresses: fc.uniqueArray(fc.record({ type: fc.constantFrom('work', 'home'), locality: text, country: text }, { requiredKeys: [] }), { maxLength: 2, selector: a => JSON.stringify(a) }),
  primaryAt: fc.nat(6),
  ent: fc.record({ department: text, employeeNumber: word, manager: word.map(v => ({ value: v })) }, { requiredKeys: [] }),
  acme: fc.record({ badge: text, level: word }, { requiredKeys: [] })
}, { requiredKeys: ['userName', 'primaryAt'] }).map(r => {
  const u: JsonObject = { schemas: [CORE], id: 'fixed-id', userName: r.userName }
  for (const k of ['displayName', 'title', 'active'] as const) if (r[k] !== undefined) u[k] = r[k]
  if (r.name !== undefined && Object.keys(r.name).length > 0) u.name = r.name
  for (const k of ['emails', 'phoneNumbers', 'addresses'] as const) {
    const list = r[k]
    if (list === undefined) continue
    const els = list.filter(e => Object.keys(e).length > 0).map(e => ({ ...e }) as JsonObject)
    if (els.length > 0) u[k] = els
  }
  const emails = u.emails
  if (Array.isArray(emails) && r.primaryAt < emails.length) (emails[r.primaryAt] as JsonObject).primary = true
  const schemas = [CORE]
  if (r.ent !== undefined && Object.keys(r.ent).length > 0) { u[ENT] = r.ent; schemas.push(ENT) }
  if (r.acme !== undefined && Object.keys(r.acme).length > 0) { u[ACME] = r.acme; schemas.push(ACME) }
  u.schemas = schemas
  return u as ScimResource
})

const garbageResource: fc.Arbitrary<ScimResource> = fc.dictionary(
  fc.constantFrom('userName', 'emails', 'name', 'members', 'schemas', 'active', ENT, 'Emails', 'displayName', 'groups', 'x', 'licenses'),
  fc.jsonValue({ maxDepth: 3 })
) as fc.Arbitrary<ScimResource>

const paths = fc.oneof(
  fc.constantFrom(
    'userName', 'displayName', 'active', 'title', 'name', 'name.givenName', 'name.bogus', 'emails', 'emails.value', 'emails.primary',
    'emails[type eq "work"]', 'emails[type eq "work"].value', 'emails[type eq "work" and primary eq true].value',
    'emails[value co "a"].display', 'emails[not (type eq "home")]', 'phoneNumbers[type eq "mobile"].value',
    'addresses[type eq "work"].locality', 'members', 'members[value eq "a"]', 'members[value eq "a"].display', 'groups', 'id', 'meta',
    'meta.created', 'schemas', 'externalId', `${ENT}:department`, `${ENT}:manager`, `${ENT}:manager.value`, ENT, `${ACME}:badge`, ACME,
    'urn:ietf:params:scim:schemas:core:2.0:User:userName', 'x509Certificates[value eq "a"]', 'roles', 'password',
    'licenses', 'licenses[sku eq "E5"]', 'licenses[sku eq "E5"].seats', 'custom.sub'
  ),
  text,
  fc.string({ unit: fc.constantFrom('[', ']', '"', '.', ':', ' ', 'a', 'e', 'q', '(', ')', 'n', 'o', 't') , maxLength: 20 })
)

const values: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>,
  fc.constantFrom<JsonValue>('True', 'False', 'x', ['id1'], { seats: { n: 1 } }, [{ sku: 'E5', n: [1] }], [{ value: 'a' }], { value: 'a', primary: true }, { givenName: 'G' }, [{ value: 'a', primary: true }, { value: 'b', primary: true }], null, []),
  word
)

const rawOp: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.record({ op: fc.constantFrom('add', 'remove', 'replace', 'Add', 'Remove', 'Replace', 'REPLACE', 'move', ''), path: paths, value: values }, { requiredKeys: ['op'] }) as fc.Arbitrary<JsonValue>,
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>
)

// ---- helpers ------------------------------------------------------------------------------------

function onlyScimErrors<T> (f: () => T): T | ScimError {
  try {
    return f()
  } catch (e) {
    if (e instanceof ScimError) return e
    throw e
  }
}

/** Canonical form for "equal up to the order of multi-valued elements". */
function canon (v: JsonValue | undefined): JsonValue | undefined {
  if (Array.isArray(v)) return v.map(canon).map(x => JSON.stringify(x)).sort().map(s => JSON.parse(s) as JsonValue)
  if (isJsonObject(v)) {
    const out: JsonObject = {}
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = canon(v[k])
    return out
  }
  return v
}

// ---- properties ---------------------------------------------------------------------------------

test('parsePatchRequest on any JSON returns operations or throws a ScimError', () => {
  fc.assert(fc.property(
    fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.record({ schemas: fc.constant(['urn:ietf:params:scim:api:messages:2.0:PatchOp']), Operations: fc.array(rawOp, { maxLength: 4 }) })),
    body => {
      const snapshot = JSON.stringify(body)
      const r = onlyScimErrors(() => parsePatchRequest(body))
      if (!(r instanceof ScimError)) {
        assert.ok(Array.isArray(r))
        for (const op of r) assert.ok(['add', 'remove', 'replace'].includes(op.op))
      }
      assert.equal(JSON.stringify(body), snapshot)
    }
  ), { numRuns: 400 })
})

test('applyPatch with random operations returns a resource or throws a ScimError, and never mutates its input', () => {
  fc.assert(fc.property(
    fc.oneof(userArb, garbageResource),
    fc.array(rawOp, { minLength: 1, maxLength: 5 }),
    fc.boolean(),
    fc.boolean(),
    (resource, ops, group, allowUnknown) => {
      const snapshot = JSON.stringify(resource)
      const opsSnapshot = JSON.stringify(ops)
      const r = onlyScimErrors(() => applyPatch(resource, parsePatchRequest({ Operations: ops }), group ? GROUP : USER, { allowUnknownAttributes: allowUnknown }))
      if (!(r instanceof ScimError)) {
        assert.ok(isJsonObject(r))
        assert.notEqual(r, resource)
        const fromRequest = objectsIn(ops)
        for (const o of objectsIn(r)) assert.ok(!fromRequest.has(o), 'the result shares no object with the request')
        // the result is plain JSON: no undefined members, nothing JSON cannot carry
        assert.deepEqual(JSON.parse(JSON.stringify(r)), plainCopy(r))
      }
      assert.equal(JSON.stringify(resource), snapshot, 'resource not mutated')
      assert.equal(JSON.stringify(ops), opsSnapshot, 'operations not mutated')
    }
  ), { numRuns: 1500 })
})

test('applyPatch given already-normalised operations with garbage shapes only throws ScimErrors', () => {
  fc.assert(fc.property(userArb, fc.array(fc.record({ op: fc.constantFrom('add', 'remove', 'replace'), path: paths, value: values }, { requiredKeys: ['op'] }), { maxLength: 5 }), (user, ops) => {
    const snapshot = JSON.stringify(user)
    onlyScimErrors(() => applyPatch(user, ops as PatchOperation[], USER))
    assert.equal(JSON.stringify(user), snapshot)
  }), { numRuns: 800 })
})

test('custom attributes (allowUnknownAttributes): the result shares no object with the request', () => {
  const customPaths = fc.constantFrom('licenses', 'licenses[sku eq "E5"]', 'licenses[sku eq "E5"].seats', 'licenses.seats', 'custom', 'custom.sub',
    'urn:acme:ext:User:badge', 'emails[type eq "work"]', 'emails[type eq "work"].value')
  const nested = fc.jsonValue({ maxDepth: 3 }).filter(v => v !== null && typeof v === 'object') as fc.Arbitrary<JsonValue>
  const resource = fc.record({
    userName: word,
    licenses: fc.array(fc.record({ sku: fc.constantFrom('E3', 'E5'), seats: fc.jsonValue({ maxDepth: 2 }) }), { maxLength: 3 }),
    custom: fc.dictionary(word, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
  }, { requiredKeys: ['userName'] }) as fc.Arbitrary<ScimResource>
  fc.assert(fc.property(resource, fc.array(fc.record({ op: fc.constantFrom('add', 'replace', 'remove'), path: customPaths, value: nested }), { minLength: 1, maxLength: 4 }), (res, ops) => {
    const before = JSON.stringify(res)
    const r = onlyScimErrors(() => applyPatch(res, ops as PatchOperation[], USER, { allowUnknownAttributes: true }))
    if (!(r instanceof ScimError)) {
      const fromRequest = objectsIn(ops)
      for (const o of objectsIn(r)) assert.ok(!fromRequest.has(o), 'the result shares no object with the request')
    }
    assert.equal(JSON.stringify(res), before)
  }), { numRuns: 800 })
})

test('diff round trip: applyPatch(before, diffResources(before, after)) equals after', () => {
  fc.assert(fc.property(userArb, userArb, (before, after) => {
    const snapBefore = JSON.stringify(before)
    const snapAfter = JSON.stringify(after)
    const ops = diffResources(before, after, USER)
    const result = applyPatch(before, ops, USER)
    assert.deepEqual(canon(result), canon(after), `ops: ${JSON.stringify(ops)}`)
    assert.equal(JSON.stringify(before), snapBefore)
    assert.equal(JSON.stringify(after), snapAfter)
  }), { numRuns: 600 })
})

test('diff round trip without a schema', () => {
  fc.assert(fc.property(userArb, userArb, (before, after) => {
    const ops = diffResources(before, after)
    const result = applyPatch(before, ops, USER)
    assert.deepEqual(canon(result), canon(after), `ops: ${JSON.stringify(ops)}`)
  }), { numRuns: 300 })
})

test('diff of a resource with itself is empty', () => {
  fc.assert(fc.property(userArb, u => {
    assert.deepEqual(diffResources(u, JSON.parse(JSON.stringify(u)) as ScimResource, USER), [])
  }), { numRuns: 200 })
})

/** Copy with ordinary prototypes and the same member order; undefined members are kept (and then fail). */
function plainCopy (v: JsonValue | undefined): JsonValue | undefined {
  if (Array.isArray(v)) return v.map(plainCopy) as JsonValue
  if (isJsonObject(v)) {
    const out: JsonObject = {}
    for (const k of Object.keys(v)) out[k] = plainCopy(v[k])
    return out
  }
  return v
}

/** Every object and array reachable from `v`. */
function objectsIn (v: unknown, out = new Set<object>()): Set<object> {
  if (v !== null && typeof v === 'object' && !out.has(v)) {
    out.add(v)
    for (const x of Object.values(v)) objectsIn(x, out)
  }
  return out
}
