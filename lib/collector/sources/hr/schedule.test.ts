// lib/collector/schedule.ts (collect_interval): seconds with an injected clock and timers, a real
// short interval and a real crontab (bounded waits, no timing asserted), no overlapping runs,
// errors logged and never thrown, bad specs rejected.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createMemoryLogger } from '../../../logging/index.ts'
import { schedule, parseScheduleSpec, checkScheduleSpec, ScheduleSpecError, type ScheduleTimers } from '../../schedule.ts'

/** Timers driven by the test: fire() runs the pending callback after moving the clock. */
function fakeClock (start: number): { timers: ScheduleTimers, now: () => Date, delays: number[], fire: (late?: number) => void } {
  let t = start
  let pending: { fn: () => void, at: number } | undefined
  const delays: number[] = []
  return {
    now: () => new Date(t),
    delays,
    timers: {
      setTimeout: (fn, ms) => { delays.push(ms); pending = { fn, at: t + ms }; return pending },
      clearTimeout: (h) => { if (h === pending) pending = undefined }
    },
    fire (late = 0) {
      const p = pending
      assert.ok(p !== undefined, 'a tick is armed')
      pending = undefined
      t = p.at + late
      p.fn()
    }
  }
}

async function until (cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

test('seconds: a tick every interval, next() says when', async () => {
  const clock = fakeClock(Date.parse('2025-01-01T00:00:00Z'))
  let runs = 0
  const s = schedule(300, async () => { runs++ }, { log: createMemoryLogger(), timers: clock.timers, now: clock.now })
  assert.equal(s.next()?.toISOString(), '2025-01-01T00:05:00.000Z')
  assert.deepEqual(clock.delays, [300_000])
  clock.fire()
  await s.idle()
  assert.equal(runs, 1)
  assert.equal(s.next()?.toISOString(), '2025-01-01T00:10:00.000Z')
  clock.fire()
  await s.idle()
  assert.equal(runs, 2)
  s.stop()
  assert.equal(s.next(), undefined)
})

test('seconds as a numeric string', () => {
  assert.deepEqual(parseScheduleSpec('120'), { kind: 'interval', seconds: 120 })
  assert.deepEqual(parseScheduleSpec(' 45 '), { kind: 'interval', seconds: 45 })
})

test('no overlapping runs: a tick during a slow run is skipped and logged', async () => {
  const clock = fakeClock(0)
  const log = createMemoryLogger()
  let runs = 0
  let release: () => void = () => {}
  const s = schedule(60, async () => {
    runs++
    await new Promise<void>(resolve => { release = resolve })
  }, { log, timers: clock.timers, now: clock.now, name: 'hr.acme' })
  clock.fire()
  await until(() => runs === 1)
  assert.equal(s.running, true)
  clock.fire()
  clock.fire()
  assert.equal(runs, 1)
  // one warning per overlong run, the further skips at debug level, a summary when it ends
  assert.equal(log.lines.filter(l => l.level === 'warn' && /hr\.acme: previous collection still running/.test(l.message)).length, 1)
  assert.equal(log.lines.filter(l => l.level === 'debug' && /hr\.acme: previous collection still running/.test(l.message)).length, 1)
  release()
  await s.idle()
  assert.ok(log.lines.some(l => l.level === 'info' && /hr\.acme: collection finished; 2 ticks were skipped/.test(l.message)))
  clock.fire()
  await until(() => runs === 2)
  release()
  await s.idle()
  s.stop()
})

test('a failing run is logged and the schedule goes on', async () => {
  const clock = fakeClock(0)
  const log = createMemoryLogger()
  let runs = 0
  const s = schedule(10, async () => {
    runs++
    if (runs === 1) throw new Error('HR source down')
  }, { log, timers: clock.timers, now: clock.now })
  clock.fire()
  await s.idle()
  assert.ok(log.lines.some(l => l.level === 'error' && /collection failed: HR source down/.test(l.message)))
  clock.fire()
  await s.idle()
  assert.equal(runs, 2)
  s.stop()
})

test('a tick missed while the process slept is not made up for', async () => {
  const clock = fakeClock(0)
  const s = schedule(60, async () => {}, { log: createMemoryLogger(), timers: clock.timers, now: clock.now })
  clock.fire(150_000) // the tick due at 60 s fires at 210 s
  await s.idle()
  assert.equal(s.next()?.getTime(), 270_000, 'not 120 s and 180 s in a burst')
  assert.equal(clock.delays.at(-1), 60_000)
  s.stop()
})

test('real timers, short interval: runs repeatedly until stopped', async () => {
  let runs = 0
  const s = schedule(0.02, async () => { runs++ }, { log: createMemoryLogger() })
  await until(() => runs >= 3)
  s.stop()
  await s.idle()
  const after = runs
  await new Promise(resolve => setTimeout(resolve, 100))
  assert.equal(runs, after, 'no run after stop()')
})

test('crontab (croner, seconds field): runs on the pattern; next() is the next match', async () => {
  let runs = 0
  const s = schedule('* * * * * *', async () => { runs++ }, { log: createMemoryLogger() })
  const next = s.next()
  assert.ok(next instanceof Date)
  assert.equal(next.getUTCMilliseconds(), 0)
  await until(() => runs >= 1)
  s.stop()
  assert.equal(s.next(), undefined)
  assert.deepEqual(parseScheduleSpec('0 */15 * * * *'), { kind: 'cron', pattern: '0 */15 * * * *' })
  assert.deepEqual(parseScheduleSpec('30 2 * * 1-5'), { kind: 'cron', pattern: '30 2 * * 1-5' })
})

test('bad specs are rejected with a clear message', () => {
  for (const bad of [0, -5, '0', 'every five minutes', '61 * * * *', '* * *']) {
    assert.throws(() => parseScheduleSpec(bad), ScheduleSpecError, String(bad))
    assert.match(checkScheduleSpec(bad) ?? '', /collect_interval/)
  }
  assert.equal(checkScheduleSpec(300), undefined)
  assert.throws(() => schedule('nope', async () => {}, { log: createMemoryLogger() }), ScheduleSpecError)
})
