// general.collect_interval in the running service (builtin nats-server, scripted collector): a
// crontab with a seconds field runs collections repeatedly; a hot reload to seconds reschedules (the
// next run moves to an hour ahead, then to every second); stop ends the schedule. Waits are bounded
// polls; no durations are asserted.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import type { SourceFactory } from '../../lib/collector/tenant-runtime.ts'
import { createMemoryLogger } from '../../lib/logging/index.ts'
import { freePort, makeWorkDir, waitFor, writeConfig } from './support.ts'

function yaml (interval: string, port: number): string {
  return `hr:
  acme:
    auth: { base_urls: [ "http://127.0.0.1:9" ] }
    general: { collect_interval: ${interval}, collect_query_string: /PerPerson }
    mapper:
      user:
        - { source: personId, map_to: externalId }
        - { source: email, map_to: userName }
    streams:
      - { channel: ALL, rules: [ { filter: '(.*)' } ] }
nats:
  server: { host: 127.0.0.1, port: ${port} }
log:
  console: false
`
}

describe('collect_interval: crontab and seconds, rescheduled on reload, stopped on stop', () => {
  let dir: string
  let file: string
  let port: number
  let svc: StreamService | undefined
  let runs = 0
  const sources: SourceFactory = () => ({
    collect: () => ({ persons: (async function * () { yield { personId: 'p1', email: 'ann@acme.test' } })(), complete: () => true })
  })

  before(async () => {
    dir = await makeWorkDir()
    port = await freePort()
    file = await writeConfig(dir, yaml('"*/1 * * * * *"', port))
    svc = await startService({
      configFile: file, log: createMemoryLogger(), sources, runAtStart: false, watch: false,
      onRun: () => { runs++ }
    })
  })

  after(async () => {
    await svc?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('a crontab with a seconds field runs the collection repeatedly', async () => {
    const s = svc as StreamService
    await waitFor(() => runs >= 3 ? true : undefined, 'three scheduled runs', 30_000)
    const next = s.nextRun('acme')
    assert.ok(next !== undefined)
    assert.equal(next.getMilliseconds(), 0, 'crontab ticks fall on whole seconds')
  })

  it('a reload to seconds replaces the crontab: an hour from now, then every second', async () => {
    const s = svc as StreamService
    await writeConfig(dir, yaml('3600', port))
    assert.equal(await s.reload(), true)
    const inAnHour = s.nextRun('acme')
    assert.ok(inAnHour !== undefined)
    assert.ok(inAnHour.getTime() > Date.now() + 3500_000, `next run ${inAnHour.toISOString()} is the interval ahead, not the crontab's next second`)

    await writeConfig(dir, yaml('1', port))
    assert.equal(await s.reload(), true)
    const before = runs
    await waitFor(() => runs >= before + 2 ? true : undefined, 'two runs on the seconds schedule', 30_000)
    assert.ok((s.nextRun('acme')?.getTime() ?? Infinity) < Date.now() + 3500_000, 'no longer on the hour schedule')
  })

  it('the documented forms: a 5-field crontab (02:15 style) unquoted, and seconds as a string', async () => {
    const s = svc as StreamService
    await writeConfig(dir, yaml('15 1 * * 1-5', port))
    assert.equal(await s.reload(), true)
    const next = s.nextRun('acme')
    assert.ok(next !== undefined)
    assert.deepEqual([next.getHours(), next.getMinutes(), next.getSeconds()], [1, 15, 0], next.toString())
    assert.ok(next.getDay() >= 1 && next.getDay() <= 5, `a weekday: ${next.toString()}`)
    await writeConfig(dir, yaml('"1"', port))
    assert.equal(await s.reload(), true)
    assert.ok((s.nextRun('acme')?.getTime() ?? Infinity) < Date.now() + 3500_000, 'seconds again')
  })

  it('an unusable collect_interval on reload is rejected and the running schedule stays', async () => {
    const s = svc as StreamService
    await writeConfig(dir, yaml('"every tuesday"', port))
    assert.equal(await s.reload(), false)
    assert.equal(s.config.hr.acme?.general.collect_interval, 1)
    const before = runs
    await waitFor(() => runs > before ? true : undefined, 'the seconds schedule still runs', 30_000)
  })

  it('stop ends the schedule', async () => {
    const s = svc as StreamService
    await s.stop()
    assert.equal(s.nextRun('acme'), undefined)
  })
})
