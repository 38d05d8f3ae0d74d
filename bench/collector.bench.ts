// End-to-end benchmark of the SCIM Stream service (npm run bench:collector): 100,000 HR persons
// served as SuccessFactors-shaped OData v2 pages (`d.results`, `__next`, `/Date()/` values) by a
// local HTTP server → the real HR collector (streamed paging) → lifecycle → mapper → dynamics →
// 5 channels of stream rules → diff against the published state → JetStream publish with acks to
// the builtin nats-server (a real child process, TLS, operator mode) → state recorded after acks.
//   1. initial load (every user new)                    target ≤ 30 s
//   2. incremental run, same 100,000, 1% changed        target ≤ 10 s
//   3. peak RSS of this process                          target ≤ 600 MB
// Persons are generated page by page on request (the source never sits in memory here).
// A program, not a test: prints figures and exits non-zero when a target is missed. Run with the
// flags of bin/scim-stream.mjs (npm run bench:collector does): --max-semi-space-size=32.
import { mkdtemp, rm, writeFile, cp, access } from 'node:fs/promises'
import { cpus, loadavg, tmpdir, totalmem, userInfo } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { startService } from '../lib/collector/service.ts'
import { ensureTlsFiles } from '../lib/collector/nats/index.ts'
import { silentLogger } from '../lib/logging/types.ts'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const PERSONS = Number(process.env.BENCH_PERSONS ?? 100_000)
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

function config (hrUrl: string): string {
  const CUR = '(employmentNav.results -most_current "startDate")'
  return `hr:
  bench:
    auth: { base_urls: [ "${hrUrl}/odata/v2" ] }
    general:
      collect_interval: 86400
      collect_query_string: /PerPerson?$expand=personalInfoNav,emailNav,employmentNav/jobInfoNav&$format=json
      max_inflight: 512
    mapper:
      user:
        - { source: personIdExternal, map_to: externalId }
        - { source: 'Join("", LowerCase([personalInfoNav.results.[0].firstName]), ".", LowerCase([personalInfoNav.results.[0].lastName]), "@example.com")', map_to: userName }
        - { source: 'personalInfoNav.results.[0].firstName', map_to: name.givenName }
        - { source: 'personalInfoNav.results.[0].lastName', map_to: name.familyName }
        - { source: 'Join(" ", [personalInfoNav.results.[0].firstName], [personalInfoNav.results.[0].lastName])', map_to: displayName }
        - { source: 'emailNav.results.[{"isPrimary":true}].emailAddress', map_to: 'emails[type eq "work"].value' }
        - { source: '${CUR}.jobInfoNav.results.[0].jobTitle', map_to: title }
        - { source: '${CUR}.jobInfoNav.results.[0].department', map_to: '${ENT}:department' }
        - { source: '${CUR}.jobInfoNav.results.[0].managerId', map_to: '${ENT}:manager.value' }
        - { source: '${CUR}.jobInfoNav.results.[0].location', map_to: 'addresses[type eq "work"].locality' }
    dynamics:
      - { dynamic_id: it, rules: [ { filter: '(user.department -match "^Engineering")' } ], assignments: { user.groups: [ { value: AD-IT, display: AD-IT } ] } }
      - { dynamic_id: oslo, rules: [ { filter: '(user.addresses.work.locality -match "^Oslo$")' } ], assignments: { user.groups: [ { value: AD-Oslo, display: AD-Oslo }, { value: Sync_Oslo, display: Sync_Oslo } ] } }
      - { dynamic_id: managers, rules: [ { filter: '(user.title -match "manager|lead")' } ], assignments: { user.roles: [ { type: Salesforce, display: Manager, value: sf-manager } ] } }
      - { dynamic_id: sales, rules: [ { filter: '(user.department -match "^Sales$")' } ], assignments: { user.roles: [ { type: Salesforce, display: User, value: sf-user } ] } }
      - { dynamic_id: everyone, rules: [ { filter: '(user.active -match "^true$")' } ], assignments: { user.groups: [ { value: AD-All, display: AD-All } ] } }
    streams:
      - { channel: AD, rules: [ { filter: '(user.groups.display -match "^AD-") and (user.groups.display -exclude "^Sync_")' } ] }
      - { channel: ALL, rules: [ { filter: '(.*)' } ] }
      - { channel: SF, rules: [ { filter: '(user.roles.Salesforce.value -match "(.*)")' } ] }
      - { channel: OSLO, rules: [ { filter: '(user.dynamicIds -match "^oslo$")' }, { filter: '(user.emails.work.value -match "\\\\.no$")' } ] }
      - { channel: MGMT, rules: [ { filter: '(user.dynamicIds -match "^managers$") and not (user.department -match "^Sales$")' } ] }
nats:
  server: { host: 127.0.0.1, port: -1 }
log: { console: false }
`
}

/** The emulator as a child process: its URL, a command channel, stop. */
async function startHrChild (): Promise<{ url: string, command: (line: string) => Promise<void>, stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./collector-hr.child.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, PERSONS: String(PERSONS) }, stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async (): Promise<string> => {
    const r = await lines.next()
    if (r.done === true) throw new Error('HR emulator child ended')
    return r.value
  }
  const first = await next()
  if (!first.startsWith('url ')) throw new Error(`HR emulator child: ${first}`)
  return {
    url: first.slice(4),
    async command (line) {
      child.stdin.write(`${line}\n`)
      if (await next() !== 'ok') throw new Error(`HR emulator child refused ${line}`)
    },
    async stop () {
      child.stdin.end()
      await new Promise(resolve => child.once('exit', resolve))
    }
  }
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'scim-stream-bench-'))
  const shared = join(tmpdir(), `scim-nats-test-certs-${userInfo().uid}`)
  try { await access(join(shared, 'server-key.pem')) } catch { await ensureTlsFiles(shared) }
  await cp(shared, join(dir, 'certs'), { recursive: true })
  const hr = await startHrChild()
  const file = join(dir, 'scim-stream.yaml')
  await writeFile(file, config(hr.url))
  const svc = await startService({ configFile: file, log: silentLogger, runAtStart: false, watch: false })
  const failures: string[] = []
  try {
    console.log(`SCIM Stream end-to-end bench: ${PERSONS} persons, 5 dynamics, 5 channels, builtin nats-server`)
    console.log(`load average at start: ${loadavg().map(l => l.toFixed(1)).join(' ')} (other work on this machine slows every figure)`)
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`)
    let t0 = performance.now()
    let cpu0 = process.cpuUsage()
    const initial = await svc.runNow('bench')
    const initialS = (performance.now() - t0) / 1000
    const cpuS = (c: NodeJS.CpuUsage): string => ((c.user + c.system) / 1e6).toFixed(1)
    console.log(`initial load:      ${initialS.toFixed(1)} s, ${cpuS(process.cpuUsage(cpu0))} s CPU in this process  (${initial.persons} persons, ${initial.published} messages published+acked, ${Math.round(initial.published / initialS)} msg/s, ${Math.round(initial.persons / initialS)} persons/s)`)
    if (initial.persons !== PERSONS || initial.failed > 0 || initial.malformed > 0) failures.push(`initial load: ${JSON.stringify(initial)}`)
    if (initialS > 30) failures.push(`initial load ${initialS.toFixed(1)} s > 30 s`)
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    const mu = process.memoryUsage()
    console.log(`after initial load: heap used ${(mu.heapUsed / 2 ** 20).toFixed(0)} MB${gc !== undefined ? " (after gc)" : ""}, heap total ${(mu.heapTotal / 2 ** 20).toFixed(0)} MB, external ${(mu.external / 2 ** 20).toFixed(0)} MB, rss ${(mu.rss / 2 ** 20).toFixed(0)} MB`)

    await hr.command('revision 1 101') // ~1%: every 101st person changes department (100 would hit only future joiners)
    t0 = performance.now()
    cpu0 = process.cpuUsage()
    const inc = await svc.runNow('bench')
    const incS = (performance.now() - t0) / 1000
    console.log(`incremental (1%):  ${incS.toFixed(1)} s, ${cpuS(process.cpuUsage(cpu0))} s CPU  (${inc.persons} persons, ${inc.published} messages, ${inc.unchanged} unchanged channel views)`)
    if (inc.published === 0 || inc.failed > 0) failures.push(`incremental: ${JSON.stringify(inc)}`)
    if (incS > 10) failures.push(`incremental ${incS.toFixed(1)} s > 10 s`)

    const rssMb = process.resourceUsage().maxRSS / 1024
    console.log(`peak RSS (service process): ${rssMb.toFixed(0)} MB  (nats-server is a separate process)`)
    if (rssMb > 600) failures.push(`peak RSS ${rssMb.toFixed(0)} MB > 600 MB`)
  } finally {
    await svc.stop()
    await hr.stop()
    await rm(dir, { recursive: true, force: true })
  }
  if (failures.length > 0) {
    console.log(`TARGETS MISSED:\n  ${failures.join('\n  ')}`)
    process.exitCode = 1
  } else {
    console.log('all targets met')
  }
}

await main()
