// Tests of errors.ts: every ScimError subclass carries its status and scimType, the is* helpers,
// and toScimErrorBody for SCIM 1.1 and 2.0 (string status, no leaked messages for foreign errors).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  ScimError, InvalidFilterError, InvalidPathError, NoTargetError, InvalidValueError, InvalidSyntaxError,
  MutabilityError, TooManyError, UniquenessError, NotFoundError, ConflictError, PreconditionFailedError,
  PayloadTooLargeError, NotImplementedError, ERROR_SCHEMA_V2, isScimError, isInvalidFilter, isNotFound,
  toScimErrorBody, type ScimType
} from './errors.ts'

const subclasses: Array<{ make: (d: string) => ScimError, name: string, status: number, scimType: ScimType | undefined }> = [
  { make: d => new InvalidFilterError(d), name: 'InvalidFilterError', status: 400, scimType: 'invalidFilter' },
  { make: d => new InvalidPathError(d), name: 'InvalidPathError', status: 400, scimType: 'invalidPath' },
  { make: d => new NoTargetError(d), name: 'NoTargetError', status: 400, scimType: 'noTarget' },
  { make: d => new InvalidValueError(d), name: 'InvalidValueError', status: 400, scimType: 'invalidValue' },
  { make: d => new InvalidSyntaxError(d), name: 'InvalidSyntaxError', status: 400, scimType: 'invalidSyntax' },
  { make: d => new MutabilityError(d), name: 'MutabilityError', status: 400, scimType: 'mutability' },
  { make: d => new TooManyError(d), name: 'TooManyError', status: 400, scimType: 'tooMany' },
  { make: d => new UniquenessError(d), name: 'UniquenessError', status: 409, scimType: 'uniqueness' },
  { make: d => new NotFoundError(d), name: 'NotFoundError', status: 404, scimType: undefined },
  { make: d => new ConflictError(d), name: 'ConflictError', status: 409, scimType: undefined },
  { make: d => new PreconditionFailedError(d), name: 'PreconditionFailedError', status: 412, scimType: undefined },
  { make: d => new PayloadTooLargeError(d), name: 'PayloadTooLargeError', status: 413, scimType: undefined },
  { make: d => new NotImplementedError(d), name: 'NotImplementedError', status: 501, scimType: undefined }
]

describe('ScimError subclasses', () => {
  for (const c of subclasses) {
    it(`${c.name} is ${c.status}${c.scimType === undefined ? '' : ` ${c.scimType}`}`, () => {
      const e = c.make('something went wrong')
      assert.ok(e instanceof ScimError)
      assert.ok(e instanceof Error)
      assert.equal(e.name, c.name)
      assert.equal(e.status, c.status)
      assert.equal(e.scimType, c.scimType)
      assert.equal(e.detail, 'something went wrong')
      assert.equal(e.message, 'something went wrong')
      assert.equal(isScimError(e), true)
      assert.equal(isNotFound(e), c.status === 404)
      assert.equal(isInvalidFilter(e), c.scimType === 'invalidFilter')
    })
  }
  it('ScimError keeps its cause', () => {
    const cause = new Error('low level')
    const e = new ScimError(502, undefined, 'endpoint failed', { cause })
    assert.equal(e.cause, cause)
    assert.equal(e.name, 'ScimError')
  })
  it('the helpers reject non-ScimErrors', () => {
    for (const v of [new Error('x'), { status: 404 }, null, undefined, 'NotFound', 404]) {
      assert.equal(isScimError(v), false)
      assert.equal(isNotFound(v), false)
      assert.equal(isInvalidFilter(v), false)
    }
  })
})

describe('toScimErrorBody', () => {
  it('2.0 (default): schemas, status as a string, scimType and detail', () => {
    assert.deepEqual(toScimErrorBody(new UniquenessError('userName "bjensen" already exists')), {
      schemas: [ERROR_SCHEMA_V2],
      status: '409',
      scimType: 'uniqueness',
      detail: 'userName "bjensen" already exists'
    })
  })
  it('2.0 leaves scimType out when there is none', () => {
    const body = toScimErrorBody(new NotFoundError('User 1 not found'), '2.0')
    assert.deepEqual(body, { schemas: [ERROR_SCHEMA_V2], status: '404', detail: 'User 1 not found' })
    assert.equal(Object.hasOwn(body, 'scimType'), false)
  })
  it('2.0 status is a string for every subclass', () => {
    for (const c of subclasses) {
      const body = toScimErrorBody(c.make('d'), '2.0')
      assert.ok('status' in body)
      assert.equal(body.status, String(c.status))
      assert.equal(typeof body.status, 'string')
    }
  })
  it('1.1: Errors array with description and code as a string', () => {
    assert.deepEqual(toScimErrorBody(new InvalidFilterError('bad filter'), '1.1'), {
      Errors: [{ description: 'bad filter', code: '400' }]
    })
  })
  it('a non-ScimError becomes 500 without its message (2.0 and 1.1)', () => {
    const secret = new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2')
    const v2 = toScimErrorBody(secret, '2.0')
    assert.deepEqual(v2, { schemas: [ERROR_SCHEMA_V2], status: '500', detail: 'Internal server error' })
    const v1 = toScimErrorBody(secret, '1.1')
    assert.deepEqual(v1, { Errors: [{ description: 'Internal server error', code: '500' }] })
    assert.ok(!JSON.stringify([v1, v2]).includes('hunter2'))
  })
  it('thrown non-Errors become 500 too', () => {
    for (const thrown of ['a string', 42, null, undefined, { status: 400, detail: 'fake' }]) {
      assert.deepEqual(toScimErrorBody(thrown), { schemas: [ERROR_SCHEMA_V2], status: '500', detail: 'Internal server error' })
    }
  })
  it('exposeMessage shows an Error message, but never for non-Errors', () => {
    assert.deepEqual(toScimErrorBody(new Error('boom'), '2.0', true), { schemas: [ERROR_SCHEMA_V2], status: '500', detail: 'boom' })
    assert.deepEqual(toScimErrorBody('boom', '2.0', true), { schemas: [ERROR_SCHEMA_V2], status: '500', detail: 'Internal server error' })
  })
  it('the body is plain JSON that survives a round trip', () => {
    const body = toScimErrorBody(new MutabilityError('id is readOnly'))
    assert.deepEqual(JSON.parse(JSON.stringify(body)), body)
  })
})
