// Tests for the push channel: delivery order, bounded queues with drop counters, isolation of
// slow and failing subscribers, unsubscribe.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLogPush, type LogEntry } from './push.ts'

const entry = (i: number): LogEntry => ({ time: '2026-01-01T00:00:00.000Z', level: 'info', name: 'p', message: `m${i}`, meta: {}, line: `line ${i}` })
const tick = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

test('delivers entries in order to every subscriber', async () => {
  const push = createLogPush()
  const a: string[] = []
  const b: string[] = []
  push.subscribe(e => { a.push(e.message) })
  push.subscribe(e => { b.push(e.message) })
  assert.equal(push.subscriberCount, 2)
  for (let i = 0; i < 5; i++) push.publish(entry(i))
  await tick()
  assert.deepEqual(a, ['m0', 'm1', 'm2', 'm3', 'm4'])
  assert.deepEqual(b, a)
  assert.equal(push.dropped, 0)
})

test('a slow subscriber loses lines (counted) without blocking publish or other subscribers', async () => {
  const push = createLogPush()
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  const slow: Array<{ message: string, dropped: number }> = []
  const fast: string[] = []
  push.subscribe(async (e, info) => { slow.push({ message: e.message, dropped: info.dropped }); await gate }, { bufferSize: 3 })
  push.subscribe(e => { fast.push(e.message) })
  push.publish(entry(0))
  await tick() // slow takes m0 and blocks on the gate
  for (let i = 1; i <= 10; i++) push.publish(entry(i)) // returns at once although slow is stuck
  await tick()
  assert.equal(fast.length, 11)
  assert.deepEqual(slow.map(s => s.message), ['m0'])
  assert.equal(push.dropped, 7) // queue of 3 keeps m1..m3, m4..m10 dropped
  release()
  await tick()
  await tick()
  assert.deepEqual(slow.map(s => s.message), ['m0', 'm1', 'm2', 'm3'])
  assert.equal(slow[1]?.dropped, 7)
})

test('a throwing or rejecting subscriber does not affect publishing or its next lines', async () => {
  const push = createLogPush()
  const seen: string[] = []
  push.subscribe(e => { seen.push(e.message); throw new Error('boom') })
  push.subscribe(async () => { throw new Error('async boom') })
  push.publish(entry(1))
  push.publish(entry(2))
  await tick()
  assert.deepEqual(seen, ['m1', 'm2'])
})

test('unsubscribe stops delivery, including queued lines', async () => {
  const push = createLogPush()
  const seen: string[] = []
  const unsubscribe = push.subscribe(e => { seen.push(e.message) })
  push.publish(entry(1))
  unsubscribe()
  push.publish(entry(2))
  await tick()
  assert.deepEqual(seen, [])
  assert.equal(push.subscriberCount, 0)
})
