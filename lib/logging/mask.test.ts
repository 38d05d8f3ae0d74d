// Table-driven tests for secret masking: every case in fixtures/mask-cases.json runs through
// maskText (cases with "text") or maskSecrets (cases with "value"), plus a few structural checks.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { maskSecrets, maskText, MASK } from './mask.ts'

interface MaskCase {
  name: string
  text?: string
  value?: unknown
  extraKeys?: string[]
  expected?: unknown
  mustNotContain?: string[]
}

const cases = JSON.parse(readFileSync(new URL('./fixtures/mask-cases.json', import.meta.url), 'utf8')) as MaskCase[]

test('fixture table has at least 30 cases', () => {
  assert.ok(cases.length >= 30, `only ${cases.length} cases`)
})

for (const c of cases) {
  test(`mask: ${c.name}`, () => {
    assert.ok(c.expected !== undefined || c.mustNotContain !== undefined, 'case asserts nothing')
    const out = c.text !== undefined ? maskText(c.text, c.extraKeys) : maskSecrets(c.value, c.extraKeys)
    if (c.expected !== undefined) assert.deepEqual(out, c.expected)
    const rendered = typeof out === 'string' ? out : JSON.stringify(out)
    for (const s of c.mustNotContain ?? []) assert.ok(!rendered.includes(s), `"${s}" still in ${rendered}`)
    if (c.mustNotContain !== undefined) assert.ok(rendered.includes(MASK), `nothing masked in ${rendered}`)
  })
}

test('maskSecrets does not mutate its input', () => {
  const input = { password: 'x', nested: { token: 'y' } }
  maskSecrets(input)
  assert.deepEqual(input, { password: 'x', nested: { token: 'y' } })
})

test('maskSecrets handles cycles, errors, bigint and binary', () => {
  const a: Record<string, unknown> = { name: 'a' }
  a.self = a
  const err = Object.assign(new Error('login failed for https://u:pw@h'), { status: 401 })
  const out = maskSecrets({ a, err, n: 10n, buf: Buffer.from('secret') }) as Record<string, unknown>
  assert.deepEqual(out.a, { name: 'a', self: '[Circular]' })
  const e = out.err as Record<string, unknown>
  assert.equal(e.message, 'login failed for https://u:********@h')
  assert.equal(e.status, 401)
  assert.ok(typeof e.stack === 'string' && !e.stack.includes(':pw@'))
  assert.equal(out.n, '10')
  assert.equal(out.buf, '[binary 6 bytes]')
})

test('the same object referenced twice (not a cycle) is masked both times', () => {
  const shared = { password: 'x' }
  assert.deepEqual(maskSecrets({ a: shared, b: shared }), { a: { password: MASK }, b: { password: MASK } })
})
