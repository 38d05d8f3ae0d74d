// Table-driven tests of orderBulkOperations from fixtures/order.json, plus fast-check invariants:
// no op lost or duplicated, dependencies respected, client order kept without references.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { orderBulkOperations } from './order.ts'
import { parseBulkRequest } from './parse.ts'
import { BULK_REQUEST_SCHEMA, type BulkOperation, type OrderedPlan } from './types.ts'

interface OrderCase {
  name: string
  ops: unknown[]
  order: number[]
  blocked?: Record<string, { status: number, scimType?: string, detail?: string }>
  dependsOn?: Record<string, string[]>
}

const cases = JSON.parse(readFileSync(new URL('./fixtures/order.json', import.meta.url), 'utf8')) as OrderCase[]
const LIMITS = { maxOperations: 1000, maxPayloadSize: 1 << 20 }

/** Invariants every plan must satisfy, whatever the input. */
function checkPlan (ops: readonly BulkOperation[], plan: OrderedPlan): void {
  const seen = plan.steps.map(s => s.op.index).sort((a, b) => a - b)
  assert.deepEqual(seen, ops.map(o => o.index).sort((a, b) => a - b), 'every op exactly once')
  const done = new Set<string>()
  let blockedSeen = false
  for (const s of plan.steps) {
    if (s.blocked !== undefined) { blockedSeen = true; continue }
    assert.ok(!blockedSeen, 'runnable steps come before blocked ones')
    for (const id of s.dependsOn) assert.ok(done.has(id), `Operations[${s.op.index}] runs after bulkId ${id}`)
    if (s.op.method === 'POST' && s.op.bulkId !== undefined) done.add(s.op.bulkId)
  }
  const blocked = plan.steps.filter(s => s.blocked !== undefined).map(s => s.op.index)
  assert.deepEqual(blocked, [...blocked].sort((a, b) => a - b), 'blocked steps in client order')
}

describe('orderBulkOperations (fixtures/order.json)', () => {
  it('has at least 15 ordering cases', () => { assert.ok(cases.length >= 15) })
  for (const c of cases) {
    it(c.name, () => {
      const { operations } = parseBulkRequest({ schemas: [BULK_REQUEST_SCHEMA], Operations: c.ops }, LIMITS, 0)
      const plan = orderBulkOperations(operations)
      checkPlan(operations, plan)
      const runnable = plan.steps.filter(s => s.blocked === undefined).map(s => s.op.index)
      assert.deepEqual(runnable, c.order)
      const blocked = plan.steps.filter(s => s.blocked !== undefined)
      assert.deepEqual(blocked.map(s => String(s.op.index)), Object.keys(c.blocked ?? {}).sort((a, b) => Number(a) - Number(b)))
      for (const s of blocked) {
        const want = c.blocked?.[String(s.op.index)]
        assert.ok(want !== undefined && s.blocked !== undefined)
        assert.equal(s.blocked.status, want.status)
        assert.equal(s.blocked.scimType, want.scimType)
        assert.ok(s.blocked.detail.startsWith(`Operations[${s.op.index}]`), s.blocked.detail)
        if (want.detail !== undefined) assert.ok(s.blocked.detail.includes(want.detail), s.blocked.detail)
      }
      for (const [i, ids] of Object.entries(c.dependsOn ?? {})) {
        assert.deepEqual(plan.steps.find(s => s.op.index === Number(i))?.dependsOn, ids)
      }
    })
  }
  it('handles a long chain without recursion limits', () => {
    const n = 5000
    const ops: BulkOperation[] = Array.from({ length: n }, (_, i) => ({
      index: i,
      method: 'POST',
      path: '/Groups',
      bulkId: `g${i}`,
      data: i === n - 1 ? {} : { members: [{ value: `bulkId:g${i + 1}` }] }
    }))
    const plan = orderBulkOperations(ops)
    assert.deepEqual(plan.steps.map(s => s.op.index), ops.map(o => o.index).reverse())
  })
})

describe('orderBulkOperations properties', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f']
  const op = fc.record({
    method: fc.constantFrom<BulkOperation['method']>('POST', 'PUT', 'PATCH', 'DELETE'),
    bulkId: fc.option(fc.constantFrom(...ids), { nil: undefined }),
    pathRef: fc.option(fc.constantFrom(...ids, 'zz'), { nil: undefined }),
    dataRefs: fc.array(fc.constantFrom(...ids, 'zz'), { maxLength: 3 })
  })
  const opsArb = fc.array(op, { maxLength: 25 }).map(list => {
    const used = new Set<string>()
    return list.map((o, i): BulkOperation => {
      let bulkId = o.bulkId
      if (bulkId !== undefined && used.has(bulkId)) bulkId = undefined
      if (bulkId !== undefined) used.add(bulkId)
      const out: BulkOperation = {
        index: i,
        method: o.method,
        path: o.pathRef === undefined ? `/Users/${i}` : `/Users/bulkId:${o.pathRef}`,
        data: { members: o.dataRefs.map(r => ({ value: `bulkId:${r}` })) }
      }
      if (bulkId !== undefined) out.bulkId = bulkId
      return out
    })
  })

  it('never loses or duplicates an op, and respects every dependency', () => {
    fc.assert(fc.property(opsArb, ops => { checkPlan(ops, orderBulkOperations(ops)) }), { numRuns: 500 })
  })
  it('keeps client order when nothing references a bulkId', () => {
    fc.assert(fc.property(opsArb, ops => {
      const plain = ops.map(o => ({ ...o, path: `/Users/${o.index}`, data: { userName: `u${o.index}` } }))
      const plan = orderBulkOperations(plain)
      assert.deepEqual(plan.steps.map(s => s.op.index), plain.map(o => o.index))
      assert.ok(plan.steps.every(s => s.blocked === undefined))
    }), { numRuns: 200 })
  })
})
