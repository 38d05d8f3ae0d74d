// Tests of the shared async helpers: abortable sleep, deadline, backoff with jitter, the
// concurrency limiter and the event-loop yield. Order and outcomes are asserted, never durations.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AbortedError, DeadlineError, backoffDelay, createLimiter, sleep, withDeadline, yieldToEventLoop } from './async.ts'

test('sleep resolves; an abort rejects at once with the signal reason and clears the timer', async () => {
  await sleep(1)
  const ctl = new AbortController()
  const p = sleep(60_000, ctl.signal)
  ctl.abort(new Error('stop'))
  await assert.rejects(p, /stop/)
  const pre = new AbortController()
  pre.abort()
  await assert.rejects(sleep(10, pre.signal), (e: unknown) => e instanceof Error && e.name === 'AbortError')
  const noReason = new AbortController()
  const q = sleep(60_000, noReason.signal)
  noReason.abort(undefined)
  await assert.rejects(q)
})

test('withDeadline: the task result, a DeadlineError (task signal aborted) when late, the outer abort', async () => {
  assert.equal(await withDeadline(1000, async () => 42), 42)
  let seen: AbortSignal | undefined
  await assert.rejects(withDeadline(5, async (s) => { seen = s; await new Promise(() => {}) }, { what: 'fetch' }),
    (e: unknown) => e instanceof DeadlineError && /fetch did not finish within 5 ms/.test(e.message))
  assert.equal(seen?.aborted, true)
  const outer = new AbortController()
  const p = withDeadline(60_000, async (s) => { await sleep(60_000, s) }, { signal: outer.signal })
  outer.abort(new AbortedError('shutdown'))
  await assert.rejects(p, /shutdown/)
  await assert.rejects(withDeadline(1000, async () => { throw new Error('boom', { cause: 1 }) }), /boom/)
})

test('backoffDelay: exponential, capped, jittered within bounds; no overflow for huge attempts', () => {
  const o = { baseMs: 100, maxMs: 5000 }
  assert.deepEqual([0, 1, 2, 3, 6, 10].map(a => backoffDelay(a, { ...o, jitter: 'none' })), [100, 200, 400, 800, 5000, 5000])
  assert.equal(backoffDelay(1e9, { ...o, jitter: 'none' }), 5000)
  assert.equal(backoffDelay(-3, { ...o, jitter: 'none' }), 100)
  assert.equal(backoffDelay(3, { ...o, random: () => 0.5 }), 400)
  assert.equal(backoffDelay(3, { ...o, jitter: 'equal', random: () => 0 }), 400)
  assert.equal(backoffDelay(3, { ...o, jitter: 'equal', random: () => 0.999999 }) <= 800, true)
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(i % 12, o)
    assert.ok(d >= 0 && d <= 5000)
  }
  assert.equal(backoffDelay(2, { ...o, factor: 3, jitter: 'none' }), 900)
})

test('createLimiter: never more than max at once, FIFO, a failing task frees its slot', async () => {
  const limit = createLimiter(2)
  let running = 0
  let peak = 0
  const order: number[] = []
  const task = (i: number) => async () => {
    running++
    peak = Math.max(peak, running)
    await yieldToEventLoop()
    order.push(i)
    running--
    if (i === 1) throw new Error('task 1 failed')
    return i
  }
  const results = await Promise.allSettled([0, 1, 2, 3, 4].map(i => limit.run(task(i))))
  assert.equal(peak, 2)
  assert.deepEqual(results.map(r => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'])
  assert.deepEqual([...order].sort(), [0, 1, 2, 3, 4])
  assert.equal(limit.active, 0)
  assert.equal(limit.pending, 0)
  assert.throws(() => createLimiter(0), RangeError)
})

test('yieldToEventLoop lets a pending timer/I/O callback run first', async () => {
  const seen: string[] = []
  setImmediate(() => seen.push('immediate'))
  await yieldToEventLoop()
  await yieldToEventLoop()
  seen.push('after')
  assert.deepEqual(seen, ['immediate', 'after'])
})
