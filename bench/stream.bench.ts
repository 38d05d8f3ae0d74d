// Stream module benchmark (a program, not a test): real nats-server (test harness) + real gateways
// with plugin-loki in memory, on this machine.
//   1. backlog: 50,000 mixed createUser/modifyUser messages (5,000 users × 10) already in the
//      stream; one gateway applies them; msgs/s from consumer start to the last ack; per-user order
//      checked on every user;
//   1b. the same with group memberships: 20,000 messages (4,000 users × 5), every user in
//      "Employees" (one group growing to 4,000 members) and one of 20 departments — creates join
//      large groups (member-delta PATCHes), modifies repeat the memberships;
//   2. latency publish → applied at 200 msg/s for 10 s (p50/p99);
//   3. GW request/reply overhead: GET /Users/<id> through a publisher gateway vs directly (p50/p99);
//   4. kill -9 runs of the gateway and of nats-server (stream-crash.ts): lost, order violations.
// npm run bench:stream
// Only phase 1b (e.g. under --cpu-prof): STREAM_BENCH_PHASES=1b node --cpu-prof --import tsx bench/stream.bench.ts
import { cpus, loadavg } from 'node:os'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { headers } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/transport-node'
import { startTestNats, type TestNats } from '../test/support/nats.ts'
import { streamConfig, startStreamGateway, observedLoki, userMessage, AUTH_HEADER } from '../test/stream/support.ts'
import { durableName, type SubscriberSettings } from '../lib/stream/index.ts'
import { crashRuns } from './stream-crash.ts'
import { Session } from 'node:inspector/promises'
import { writeFileSync } from 'node:fs'

const USERS = 5000
/** Subscriber tuning under test (defaults unless STREAM_BENCH_SETTINGS holds JSON). */
const SETTINGS = JSON.parse(process.env.STREAM_BENCH_SETTINGS ?? '{}') as Partial<SubscriberSettings>
const PER_USER = 10
/** `1b` = only the backlog with groups, `4` = only the kill -9 runs; default: every phase. */
const ONLY_GROUPS = process.env.STREAM_BENCH_PHASES === '1b'
const ONLY_CRASH = process.env.STREAM_BENCH_PHASES === '4'

function pct (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))] ?? NaN
}

async function publishAll (nc: NatsConnection, subject: string, bodies: Array<{ id: string, body: string }>): Promise<void> {
  const js = jetstream(nc)
  for (let i = 0; i < bodies.length; i += 1000) {
    await Promise.all(bodies.slice(i, i + 1000).map(async (b) => {
      const h = headers()
      h.set('Msg-Id', b.id)
      h.set('Nats-Msg-Id', b.id)
      await js.publish(subject, b.body, { headers: h })
    }))
  }
}

/**
 * 1b. Backlog with group memberships: every user joins "Employees" (growing to 4,000 members) and
 * one of 20 departments on create; modifies repeat the memberships.
 */
async function groupedBacklog (nats: TestNats, pub: NatsConnection): Promise<void> {
  const USERS = 4000
  const PER = 5
  const bodies: Array<{ id: string, body: string }> = []
  for (let k = 0; k < PER; k++) {
    for (let u = 0; u < USERS; u++) {
      const groups = [{ value: 'Employees', display: 'Employees' }, { value: `Dept${u % 20}`, display: `Dept${u % 20}` }]
      bodies.push({ id: `g-${u}-${k}`, body: JSON.stringify(userMessage(k === 0 ? 'createUser' : 'modifyUser', `guser${u}`, { title: String(k), groups })) })
    }
  }
  await publishAll(pub, 'ENTRA.grouped', bodies)
  const o = observedLoki()
  // entity "undefined": the default store, read back below through GET /Users without a baseEntity
  const gw = await startStreamGateway(streamConfig(nats, { subscriber: { undefined: { tenant: 'bench', subject: 'ENTRA.grouped' } } }), { plugin: o.plugin, stream: { subscriber: SETTINGS } })
  const t = performance.now()
  const cpu0 = process.cpuUsage()
  const profiler = await startWindowProfile()
  while ((gw.stream.status().subscribers[0]?.applied ?? 0) < bodies.length) {
    await new Promise(resolve => setTimeout(resolve, 20))
    if (performance.now() - t > 600_000) throw new Error('grouped backlog not applied within 10 min')
  }
  const secs = (performance.now() - t) / 1000
  const cpu = process.cpuUsage(cpu0)
  await profiler?.()
  const cpuSecs = (cpu.user + cpu.system) / 1e6
  console.log(`  gateway process CPU while applying: ${cpuSecs.toFixed(2)} s = ${Math.round(bodies.length / cpuSecs)} msgs per CPU-second`)
  const res = await fetch(`${gw.url}/Groups?filter=${encodeURIComponent('displayName eq "Employees"')}`, { headers: { authorization: AUTH_HEADER } })
  const members = ((await res.json()) as { Resources: Array<{ members?: unknown[] }> }).Resources[0]?.members?.length ?? 0
  let ordered = 0
  for (let u = 0; u < USERS; u++) {
    const titles = o.titlesOf(`guser${u}`)
    if (titles.length === PER && titles.every((x, i) => x === String(i))) ordered++
  }
  // the users as a client sees them: GET /Users without a baseEntity, paged
  let listed = 0
  let last = 0
  for (let start = 1; ; start += 1000) {
    const page = await fetch(`${gw.url}/Users?startIndex=${start}&count=1000&attributes=userName,title`, { headers: { authorization: AUTH_HEADER } })
    const body = (await page.json()) as { Resources: Array<{ title?: string }>, totalResults: number }
    listed += body.Resources.length
    last += body.Resources.filter(u => u.title === String(PER - 1)).length
    if (body.Resources.length === 0 || start + 1000 > body.totalResults) break
  }
  console.log(`backlog with groups: ${bodies.length} msgs applied in ${secs.toFixed(2)} s = ${Math.round(bodies.length / secs)} msgs/s ` +
    `(GET /Users without baseEntity: ${listed}/${USERS} users, ${last} at their last message; "Employees" has ${members} members; ` +
    `per-user order kept for ${ordered}/${USERS} users; dead letters ${gw.stream.status().subscribers[0]?.deadLettered ?? '?'})`)
  await gw.stop()
}

/**
 * STREAM_BENCH_PROFILE=<file.cpuprofile | file.heapprofile>: a CPU (or allocation sampling) profile of
 * the timed window only (not the set-up,
 * the publishing or the checks afterwards). Returns the function that stops it and writes the file.
 */
async function startWindowProfile (): Promise<(() => Promise<void>) | undefined> {
  const file = process.env.STREAM_BENCH_PROFILE
  if (file === undefined || file === '') return undefined
  const session = new Session()
  session.connect()
  if (file.endsWith('.heapprofile')) {
    // allocation sampling instead of CPU (what the garbage collector has to clean up)
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
    return async () => {
      const { profile } = await session.post('HeapProfiler.stopSampling')
      writeFileSync(file, JSON.stringify(profile))
      session.disconnect()
    }
  }
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
  await session.post('Profiler.start')
  return async () => {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
  }
}

async function main (): Promise<void> {
  console.log(`stream bench — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${loadavg().map(x => x.toFixed(1)).join(' ')}`)
  if (ONLY_CRASH) { await crashRuns(); return }
  const nats = await startTestNats({ tenants: ['bench'] })
  try {
    const pub = await nats.connect('bench', 'publisher')
    const jsm = await jetstreamManager(pub)

    if (ONLY_GROUPS) { await groupedBacklog(nats, pub); return }

    // 1. backlog ------------------------------------------------------------------------------
    const bodies: Array<{ id: string, body: string }> = []
    for (let k = 0; k < PER_USER; k++) {
      for (let u = 0; u < USERS; u++) {
        bodies.push({
          id: `b-${u}-${k}`,
          body: JSON.stringify(userMessage(k === 0 ? 'createUser' : 'modifyUser', `user${u}`, { title: String(k), displayName: `User ${u}`, emails: [{ value: `user${u}@example.com`, type: 'work', primary: true }] }))
        })
      }
    }
    let t = performance.now()
    await publishAll(pub, 'ENTRA.backlog', bodies)
    console.log(`published ${bodies.length} messages in ${((performance.now() - t) / 1000).toFixed(1)} s`)
    const o = observedLoki()
    const gw = await startStreamGateway(streamConfig(nats, { subscriber: { backlog: { tenant: 'bench', subject: 'ENTRA.backlog' } } }), { plugin: o.plugin, stream: { subscriber: SETTINGS } })
    t = performance.now()
    const consumer = durableName('loki', 'backlog')
    for (;;) {
      await new Promise(resolve => setTimeout(resolve, 100))
      if ((gw.stream.status().subscribers[0]?.applied ?? 0) >= bodies.length) break
      if (performance.now() - t > 600_000) throw new Error('backlog not applied within 10 min')
    }
    const secs = (performance.now() - t) / 1000
    const ci = await jsm.consumers.info('bench', consumer)
    let ordered = 0
    for (let u = 0; u < USERS; u++) {
      const titles = o.titlesOf(`user${u}`)
      if (titles.length === PER_USER && titles.every((x, i) => x === String(i))) ordered++
    }
    console.log(`backlog: ${bodies.length} msgs applied in ${secs.toFixed(2)} s = ${Math.round(bodies.length / secs)} msgs/s ` +
      `(per-user order kept for ${ordered}/${USERS} users; dead letters ${gw.stream.status().subscribers[0]?.deadLettered ?? '?'}; pending ${ci.num_pending}/${ci.num_ack_pending})`)

    // 1b. backlog with group memberships -------------------------------------------------------
    await groupedBacklog(nats, pub)

    // 2. latency at 200 msg/s -----------------------------------------------------------------
    const appliedAt = new Map<string, number>()
    const writes = o.writes
    const seen = { n: writes.length }
    const poll = setInterval(() => {
      const now = performance.now()
      for (; seen.n < writes.length; seen.n++) appliedAt.set(writes[seen.n] as string, now)
    }, 1)
    const sentAt = new Map<string, number>()
    const js = jetstream(pub)
    const total = 2000
    const start = performance.now()
    for (let i = 0; i < total; i++) {
      const due = start + i * 5
      const wait = due - performance.now()
      if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
      const key = `lat${i % 300}:L${i}`
      const h = headers()
      h.set('Msg-Id', `lat-${i}`)
      h.set('Nats-Msg-Id', `lat-${i}`)
      sentAt.set(key, performance.now())
      void js.publish('ENTRA.backlog', JSON.stringify(userMessage(i < 300 ? 'createUser' : 'modifyUser', `lat${i % 300}`, { title: `L${i}` })), { headers: h })
    }
    const deadline = performance.now() + 30_000
    while (appliedAt.size < total + 0 && performance.now() < deadline) {
      let done = 0
      for (const k of sentAt.keys()) if (appliedAt.has(k)) done++
      if (done === total) break
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    clearInterval(poll)
    const lat: number[] = []
    for (const [k, s] of sentAt) { const a = appliedAt.get(k); if (a !== undefined) lat.push(a - s) }
    console.log(`latency publish→applied at 200 msg/s: n=${lat.length}/${total} p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, max ${pct(lat, 100).toFixed(1)} ms`)
    await gw.stop()

    // 3. GW request/reply overhead ------------------------------------------------------------
    const sub = await startStreamGateway(streamConfig(nats, { subscriber: { onprem: { tenant: 'bench', subject: 'GW.bench' } } }))
    const publisher = await startStreamGateway(streamConfig(nats, { publisher: { onprem: { tenant: 'bench', subject: 'GW.bench' } }, entities: [] }), { plugin: { name: 'publisher' } })
    while (sub.stream.status().responders[0]?.state !== 'subscribed' || publisher.stream.status().connections[0]?.state !== 'connected') await new Promise(resolve => setTimeout(resolve, 20))
    const created = await fetch(`${sub.url}/onprem/Users`, { method: 'POST', headers: { authorization: AUTH_HEADER, 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: 'gwbench', name: { givenName: 'G', familyName: 'B' } }) })
    const id = String(((await created.json()) as { id: string }).id)
    const time = async (base: string): Promise<number[]> => {
      const out: number[] = []
      for (let i = 0; i < 2200; i++) {
        const s = performance.now()
        const r = await fetch(`${base}/onprem/Users/${id}`, { headers: { authorization: AUTH_HEADER } })
        await r.text()
        if (r.status !== 200) throw new Error(`status ${r.status}`)
        if (i >= 200) out.push(performance.now() - s)
      }
      return out
    }
    const direct = await time(sub.url)
    const viaGw = await time(publisher.url)
    console.log(`GET /Users/<id> direct: p50 ${pct(direct, 50).toFixed(2)} ms p99 ${pct(direct, 99).toFixed(2)} ms; via GW: p50 ${pct(viaGw, 50).toFixed(2)} ms p99 ${pct(viaGw, 99).toFixed(2)} ms; overhead p50 ${(pct(viaGw, 50) - pct(direct, 50)).toFixed(2)} ms`)
    await publisher.stop()
    await sub.stop()
  } finally {
    await nats.stop()
  }
  // 4. kill -9 runs ------------------------------------------------------------------------------
  await crashRuns()
}

await main()
