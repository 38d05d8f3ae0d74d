// Tests of the schema toolkit: every error with its path at once, defaults, unknown keys, freeze.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as s from './schema.ts'
import { formatPath, didYouMean } from './path.ts'

const server = s.object({
  port: s.integer({ min: 1, max: 65535 }).default(8880),
  host: s.string({ minLength: 1 }).optional(),
  scim: s.object({ version: s.enumOf(['2.0', '1.1']).default('2.0') }).default({}),
  tags: s.array(s.string()).default([]),
  users: s.array(s.object({ name: s.string(), password: s.string({ minLength: 1 }) })).default([]),
  tenants: s.record(s.object({ enabled: s.boolean().default(false) })).default({}),
  ca: s.oneOf(s.string(), s.array(s.string())).optional(),
  size: s.byteSize().default(1024)
})

describe('validate', () => {
  it('fills defaults, nested ones included', () => {
    const r = s.validate(server, {})
    assert.equal(r.ok, true)
    assert.deepEqual(r.value, { port: 8880, scim: { version: '2.0' }, tags: [], users: [], tenants: {}, size: 1024 })
  })

  it('keeps given values and fills defaults inside record entries', () => {
    const r = s.validate(server, { port: 9000, host: 'h', tenants: { a: {} }, ca: ['x'], size: '2kb' })
    assert.ok(r.ok)
    assert.equal(r.value.port, 9000)
    assert.equal(r.value.host, 'h')
    assert.deepEqual(r.value.tenants, { a: { enabled: false } })
    assert.deepEqual(r.value.ca, ['x'])
    assert.equal(r.value.size, 2048)
  })

  it('reports every problem at once with its JSON path', () => {
    const r = s.validate(server, {
      port: 'abc',
      scim: { version: '3.0' },
      users: [{ name: 'a', password: 'x' }, { name: 'b' }, { name: 7, password: '' }],
      tenants: { t1: { enabled: 'yes' } },
      ca: 5
    })
    assert.equal(r.ok, false)
    assert.deepEqual(r.errors, [
      { path: 'port', message: 'expected integer 1..65535, got "abc"' },
      { path: 'scim.version', message: 'expected one of "2.0", "1.1", got "3.0"' },
      { path: 'users[1].password', message: 'required' },
      { path: 'users[2].name', message: 'expected string, got 7' },
      { path: 'users[2].password', message: 'expected non-empty string, got ""' },
      { path: 'tenants.t1.enabled', message: 'expected boolean, got "yes"' },
      { path: 'ca', message: 'expected string or array of string, got 5' }
    ])
  })

  it('reports unknown keys with a "did you mean"', () => {
    const r = s.validate(server, { prot: 1, zzzzzz: true })
    assert.equal(r.ok, false)
    assert.equal(r.errors.length, 2)
    assert.equal(r.errors[0]?.path, 'prot')
    assert.match(r.errors[0]?.message ?? '', /^unknown key \(did you mean "port"\?\)/)
    assert.equal(r.errors[1]?.path, 'zzzzzz')
    assert.doesNotMatch(r.errors[1]?.message ?? '', /did you mean/)
  })

  it('keeps unknown keys when asked (free-form sections)', () => {
    const free = s.object({ entity: s.record(s.jsonObject()).optional() }, { unknownKeys: 'keep' })
    const r = s.validate(free, { anything: [1, { a: 2 }], entity: { x: { y: 1 } } })
    assert.ok(r.ok)
    assert.deepEqual(r.value, { anything: [1, { a: 2 }], entity: { x: { y: 1 } } })
    const bad = s.validate(free, { entity: { x: 3 } })
    assert.deepEqual(bad.errors, [{ path: 'entity.x', message: 'expected object, got 3' }])
  })

  it('treats null as absent for optional and defaulted keys, and as missing for required ones', () => {
    const sch = s.object({ a: s.string().optional(), b: s.integer().default(1), c: s.string() })
    const r = s.validate(sch, { a: null, b: null, c: null })
    assert.deepEqual(r.errors, [{ path: 'c', message: 'required (got null)' }])
    const ok = s.validate(sch, { a: null, b: null, c: 'x' })
    assert.deepEqual(ok.value, { b: 1, c: 'x' })
  })

  it('coerces exact numeric and boolean strings only when asked', () => {
    const sch = s.object({ n: s.integer(), b: s.boolean() })
    assert.equal(s.validate(sch, { n: '42', b: 'true' }).ok, false)
    const r = s.validate(sch, { n: '42', b: 'true' }, { coerce: true })
    assert.deepEqual(r.value, { n: 42, b: true })
    const bad = s.validate(sch, { n: '4x', b: 'yes' }, { coerce: true })
    assert.deepEqual(bad.errors.map(e => e.path), ['n', 'b'])
  })

  it('oneOf reports the detailed errors of the alternative of the same JSON type', () => {
    const sch = s.oneOf(s.string(), s.object({ a: s.integer() }))
    const r = s.validate(sch, { a: 'x' }, {}, ['root'])
    assert.deepEqual(r.errors, [{ path: 'root.a', message: 'expected integer, got "x"' }])
  })

  it('runs refinements and preprocessors', () => {
    const sch = s.object({ key: s.string().optional(), cert: s.string().optional() })
      .refine((v, report) => { if ((v.key === undefined) !== (v.cert === undefined)) report('key and cert go together', ['cert']) })
    assert.deepEqual(s.validate(sch, { key: 'k' }).errors, [{ path: 'cert', message: 'key and cert go together' }])
    const list = s.array(s.integer()).preprocess(raw => Array.isArray(raw) ? raw.filter(x => x !== null) : raw)
    assert.deepEqual(s.validate(list, [1, null, 2]).value, [1, 2])
  })

  it('reports minItems and wrong container types', () => {
    assert.deepEqual(s.validate(s.array(s.string(), { minItems: 1 }), []).errors, [{ path: '', message: 'expected at least 1 item(s), got 0' }])
    assert.deepEqual(s.validate(server, []).errors, [{ path: '', message: 'expected object, got an array' }])
  })

  it('infers types from the schema', () => {
    const r = s.validate(server, {})
    if (!r.ok) throw new Error('expected ok')
    const port: number = r.value.port
    const host: string | undefined = r.value.host
    const version: '2.0' | '1.1' = r.value.scim.version
    assert.equal(port + (host ?? '').length, 8880)
    assert.equal(version, '2.0')
  })
})

describe('deepFreeze', () => {
  it('freezes nested objects and arrays', () => {
    const r = s.validate(server, { users: [{ name: 'a', password: 'p' }] })
    const v = s.deepFreeze(r.value)
    assert.ok(v !== undefined)
    assert.ok(Object.isFrozen(v))
    assert.ok(Object.isFrozen(v.users))
    assert.ok(Object.isFrozen(v.users[0]))
    assert.throws(() => { (v.users[0] as { name: string }).name = 'b' }, TypeError)
  })
})

describe('paths and suggestions', () => {
  it('formats paths with brackets for indexes and odd keys', () => {
    assert.equal(formatPath(['scimgateway', 'auth', 'basic', 0, 'password']), 'scimgateway.auth.basic[0].password')
    assert.equal(formatPath(['endpoint', 'a.b', 'x y']), 'endpoint["a.b"]["x y"]')
  })
  it('suggests close names only', () => {
    assert.equal(didYouMean('localHostOnly', ['localhostonly', 'port']), 'localhostonly')
    assert.equal(didYouMean('ipAlowList', ['ipAllowList', 'port']), 'ipAllowList')
    assert.equal(didYouMean('certificate', ['port', 'scim']), undefined)
  })
})
