// Execution order of a bulk request (RFC 7644 §3.7.2): an operation that references `bulkId:<id>`
// runs after the POST that defines `<id>`; otherwise the client's order is kept.
//
// Decisions (RFC 7644 leaves room; these are ours):
// - The sort is a stable topological sort: among the operations whose references are satisfied, the
//   one earliest in the request runs next.
// - Only a POST defines a bulkId. A reference to a bulkId no POST in the request defines blocks the
//   op with 400 invalidValue: the request itself is wrong.
// - Circular references (A ↔ B, A → B → C → A, a POST that references its own bulkId) block every op
//   in the cycle with 409 (RFC 7644 §3.7.2 allows a service provider to answer 409 instead of
//   resolving the cycle). We do not resolve cycles by creating without the references and patching
//   afterwards: that needs resource semantics that live in the core, not here.
// - An op that depends on a blocked op is blocked with 409 (its reference can never be resolved).
//   At run time, an op that references a POST that failed also gets 409 (see run.ts).
import { ConflictError, InvalidValueError } from '../errors.ts'
import { findBulkIdRefs } from './references.ts'
import type { BulkOperation, OrderedPlan, PlanStep } from './types.ts'

/**
 * Orders bulk operations for execution. Every input op appears exactly once in `steps`: first the
 * runnable ones in dependency order, then the blocked ones (with `blocked` set) in client order.
 * @example
 * const plan = orderBulkOperations(req.operations)
 * for (const step of plan.steps) if (step.blocked === undefined) await run(step.op)
 */
export function orderBulkOperations (ops: readonly BulkOperation[]): OrderedPlan {
  const n = ops.length
  const definedBy = new Map<string, number>()
  ops.forEach((op, i) => {
    if (op.method === 'POST' && op.bulkId !== undefined && !definedBy.has(op.bulkId)) definedBy.set(op.bulkId, i)
  })

  const steps: PlanStep[] = []
  const deps: number[][] = []
  const blocked: Array<PlanStep['blocked']> = new Array(n).fill(undefined)
  ops.forEach((op, i) => {
    const refs = findBulkIdRefs(op.data, findBulkIdRefs(op.path))
    steps.push({ op, dependsOn: refs })
    const d: number[] = []
    const unknown: string[] = []
    for (const id of refs) {
      const j = definedBy.get(id)
      if (j === undefined) unknown.push(id)
      else if (!d.includes(j)) d.push(j)
    }
    deps.push(d)
    if (unknown.length > 0) {
      blocked[i] = new InvalidValueError(`${label(op)}: ${unknown.map(u => `bulkId:${u}`).join(', ')} is not defined by a POST operation in this request`)
    }
  })

  for (const comp of stronglyConnected(deps)) {
    const first = comp[0]
    if (first === undefined) continue
    const isCycle = comp.length > 1 || (deps[first] ?? []).includes(first)
    if (!isCycle) continue
    const members = [...comp].sort((a, b) => a - b)
    const names = members.map(i => label(ops[i])).join(', ')
    for (const i of members) {
      blocked[i] ??= new ConflictError(`${label(ops[i])}: circular bulkId reference between ${names}`)
    }
  }

  const order = stableTopoOrder(deps, blocked)
  const emitted = new Uint8Array(n)
  for (const i of order) emitted[i] = 1
  const rest: PlanStep[] = []
  for (let i = 0; i < n; i++) {
    if (emitted[i] === 1) continue
    const step = steps[i]
    if (step === undefined) continue
    const why = blocked[i] ?? new ConflictError(`${label(step.op)}: references ${dependsOnBlocked(i, deps, emitted, ops)}, whose operation cannot be run`)
    rest.push({ ...step, blocked: why })
  }
  const runnable: PlanStep[] = []
  for (const i of order) {
    const step = steps[i]
    if (step !== undefined) runnable.push(step)
  }
  return { steps: [...runnable, ...rest] }
}

function label (op: BulkOperation | undefined): string {
  if (op === undefined) return 'Operations[?]'
  return op.bulkId === undefined ? `Operations[${op.index}]` : `Operations[${op.index}] (bulkId ${op.bulkId})`
}

function dependsOnBlocked (i: number, deps: number[][], emitted: Uint8Array, ops: readonly BulkOperation[]): string {
  const j = (deps[i] ?? []).find(d => emitted[d] !== 1)
  const id = j === undefined ? undefined : ops[j]?.bulkId
  return id === undefined ? 'a bulkId' : `bulkId:${id}`
}

/**
 * Kahn's algorithm with the lowest index first among ready nodes. Blocked nodes never become ready,
 * so nodes that (transitively) depend on them are left out as well.
 */
function stableTopoOrder (deps: number[][], blocked: ReadonlyArray<unknown>): number[] {
  const n = deps.length
  const waiting = new Int32Array(n)
  const dependents: number[][] = Array.from({ length: n }, () => [])
  deps.forEach((d, i) => {
    waiting[i] = d.length
    for (const j of d) dependents[j]?.push(i)
  })
  const ready = new MinHeap()
  for (let i = 0; i < n; i++) if (waiting[i] === 0 && blocked[i] === undefined) ready.push(i)
  const out: number[] = []
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    out.push(i)
    for (const k of dependents[i] ?? []) {
      const left = (waiting[k] ?? 0) - 1
      waiting[k] = left
      if (left === 0 && blocked[k] === undefined) ready.push(k)
    }
  }
  return out
}

/** Tarjan's strongly connected components, iterative (no recursion limit on long chains). */
function stronglyConnected (edges: number[][]): number[][] {
  const n = edges.length
  const idx = new Int32Array(n).fill(-1)
  const low = new Int32Array(n)
  const onStack = new Uint8Array(n)
  const stack: number[] = []
  const comps: number[][] = []
  let counter = 0
  for (let s = 0; s < n; s++) {
    if (idx[s] !== -1) continue
    const work: Array<[number, number]> = [[s, 0]]
    idx[s] = low[s] = counter++
    stack.push(s)
    onStack[s] = 1
    while (work.length > 0) {
      const frame = work[work.length - 1]
      if (frame === undefined) break
      const v = frame[0]
      const es = edges[v] ?? []
      if (frame[1] < es.length) {
        const w = es[frame[1]++]
        if (w === undefined) continue
        if (idx[w] === -1) {
          idx[w] = low[w] = counter++
          stack.push(w)
          onStack[w] = 1
          work.push([w, 0])
        } else if (onStack[w] === 1) {
          low[v] = Math.min(low[v] ?? 0, idx[w] ?? 0)
        }
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent !== undefined) low[parent[0]] = Math.min(low[parent[0]] ?? 0, low[v] ?? 0)
      if (low[v] === idx[v]) {
        const comp: number[] = []
        for (;;) {
          const w = stack.pop()
          if (w === undefined) break
          onStack[w] = 0
          comp.push(w)
          if (w === v) break
        }
        comps.push(comp)
      }
    }
  }
  return comps
}

/** Binary min-heap of op indices. */
class MinHeap {
  private readonly a: number[] = []

  push (x: number): void {
    const a = this.a
    a.push(x)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      const pv = a[p] ?? 0
      if (pv <= x) break
      a[i] = pv
      i = p
    }
    a[i] = x
  }

  pop (): number | undefined {
    const a = this.a
    const top = a[0]
    const last = a.pop()
    if (a.length === 0 || last === undefined) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= a.length) break
      const r = l + 1
      const c = r < a.length && (a[r] ?? 0) < (a[l] ?? 0) ? r : l
      const cv = a[c] ?? 0
      if (cv >= last) break
      a[i] = cv
      i = c
    }
    a[i] = last
    return top
  }
}
