// End to end with real processes: HR emulator (SuccessFactors OData v2) → `scim-stream` (the bin
// launcher as a child process) → its builtin nats-server (grandchild) → a JetStream subscriber with
// subscriber credentials checking the contract; error mail through a local smtp-server.
// Covers: bad config → every problem and exit 1; failover from a dead base URL; joiner,
// pre-activation, future joiner not published, leaver already gone not created, most_current
// employment, dynamic group; malformed record logged and skipped while the others continue;
// do_initial_load written back as false keeping comments; leaver (active false); HR down → error
// mails throttled by send_interval; SIGTERM exits 0; restart without republishing unchanged users.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { JsonObject, JsonValue } from '../../lib/scim/types.ts'
import { issueUser, loadCredentials } from '../../lib/collector/nats/index.ts'
import { startHrEmulator, type HrEmulator } from '../support/hr-emulator.ts'
import { startTestSmtpServer, type TestSmtpServer } from '../../lib/mail/smtp-test-server.ts'
import { freePort, makeWorkDir, subscribe, waitFor, writeConfig, type ContractSubscriber, type Received } from './support.ts'

const BIN = fileURLToPath(new URL('../../bin/scim-stream.mjs', import.meta.url))
const DAY = 86_400_000
const TODAY = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate())
const sf = (ms: number): string => `/Date(${ms})/`

function person (id: string, first: string, jobs: Array<{ start: number, end?: number, dept: string }>): JsonObject {
  return {
    personIdExternal: id,
    personalInfoNav: { results: [{ personIdExternal: id, firstName: first, lastName: 'Test' }] },
    employmentNav: {
      results: jobs.map(j => ({
        personIdExternal: id, userId: `u${id}`, startDate: sf(j.start), endDate: j.end === undefined ? null : sf(j.end),
        jobInfoNav: { results: [{ department: j.dept, jobTitle: 'Engineer' }] }
      }))
    }
  }
}

const joiner = person('1', 'ann', [{ start: TODAY - 100 * DAY, dept: 'Engineering' }])
const preactive = person('2', 'bob', [{ start: TODAY + 3 * DAY, dept: 'Engineering' }])
const future = person('3', 'cid', [{ start: TODAY + 60 * DAY, dept: 'Engineering' }])
const gone = person('4', 'dan', [{ start: TODAY - 900 * DAY, end: TODAY - 30 * DAY, dept: 'Engineering' }])
const mover = person('5', 'eve', [{ start: TODAY - 900 * DAY, end: TODAY - 41 * DAY, dept: 'Finance' }, { start: TODAY - 40 * DAY, dept: 'Sales' }])
const malformed: JsonValue = { personIdExternal: '6', personalInfoNav: { results: [{ firstName: 'fay' }] }, employmentNav: { results: [{ startDate: 'not a date', jobInfoNav: { results: [] } }] } }

function configYaml (hrUrl: string, deadUrl: string, natsPort: number, smtpPort: number): string {
  return `# e2e config: comments must survive the do_initial_load write-back
hr:
  acme:
    auth:
      base_urls: [ "${deadUrl}/odata/v2", "${hrUrl}/odata/v2" ]
    general:
      collect_interval: 1
      collect_query_string: /PerPerson?$expand=personalInfoNav,employmentNav/jobInfoNav&$format=json
      request_timeout: 5
      pre_activate_days: 7
      do_initial_load: true # becomes false after the first load
    mapper:
      user:
        - { source: personIdExternal, map_to: externalId }
        - { source: 'Join("", LowerCase([personalInfoNav.results.[0].firstName]), "@acme.test")', map_to: userName }
        - { source: '(employmentNav.results -most_current "startDate").jobInfoNav.results.[0].department', map_to: department }
    dynamics:
      - dynamic_id: sales
        rules: [ { filter: '(user.department -match "^Sales$")' } ]
        assignments:
          user.groups: [ { value: grp-sales, display: Sales } ]
    streams:
      - channel: ALL
        rules: [ { filter: '(.*)' } ]
log:
  console: true
  level: info
email:
  smtp: { host: 127.0.0.1, port: ${smtpPort}, username: mailer, password: mail-secret, from: scim-stream@acme.test }
  on_error:
    enabled: true
    send_interval: 0.05
    subject: SCIM Stream e2e error
    to: [ ops@acme.test ]
nats:
  server:
    host: 127.0.0.1
    port: ${natsPort}
`
}

interface Child { proc: ChildProcess, lines: string[], exited: Promise<number | null> }

function startChild (args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SEED: 'e2e-seed', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let partial = ''
  const onData = (b: Buffer): void => {
    const parts = (partial + b.toString('utf8')).split('\n')
    partial = parts.pop() ?? ''
    lines.push(...parts)
  }
  proc.stdout?.on('data', onData)
  proc.stderr?.on('data', onData)
  const exited = new Promise<number | null>(resolve => proc.on('exit', (code) => { if (partial !== '') lines.push(partial); resolve(code) }))
  return { proc, lines, exited }
}

/** Stats of the `run finished` lines logged after index `from`. */
function runs (child: Child, from = 0): Array<Record<string, unknown>> {
  return child.lines.slice(from).filter(l => l.includes('run finished in')).map(l => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>)
}

describe('scim-stream as a process (HR emulator → scim-stream → nats-server → subscriber)', () => {
  let dir: string
  let file: string
  let hr: HrEmulator
  let smtp: TestSmtpServer
  let child: Child | undefined
  let sub: ContractSubscriber | undefined
  let natsPort: number
  let first: Received[] = []

  before(async () => {
    dir = await makeWorkDir()
    hr = await startHrEmulator({ persons: [joiner, preactive, future, gone, mover, malformed], pageSize: 2 })
    smtp = await startTestSmtpServer({ username: 'mailer', password: 'mail-secret' })
    natsPort = await freePort()
    const dead = `http://127.0.0.1:${await freePort()}`
    file = await writeConfig(dir, configYaml(hr.url, dead, natsPort, smtp.port))
  })

  after(async () => {
    await sub?.close()
    if (child !== undefined && child.proc.exitCode === null) { child.proc.kill('SIGTERM'); await child.exited }
    await hr?.stop()
    await smtp?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('bad config: every problem listed on stderr, exit code 1', async () => {
    const bad = await writeConfig(dir, `hr:
  acme:
    general: { collect_interval: 0 }
    streams: [ { channel: "no spaces", rules: [ { filter: '(user.x -match' } ] } ]
nats:
  server: { port: many }
`, 'bad.yaml')
    const c = startChild(['--config', bad])
    assert.equal(await c.exited, 1)
    const out = c.lines.join('\n')
    for (const p of ['hr.acme.auth.base_urls', 'hr.acme.general.collect_interval', 'hr.acme.streams[0].channel', 'hr.acme.streams[0].rules[0].filter', 'nats.server.port']) {
      assert.ok(out.includes(p), `${p} listed in:\n${out}`)
    }
    assert.ok(!out.includes('    at '), 'no stack trace')
  })

  it('initial load: failover, JML, most_current, dynamics; malformed record skipped; do_initial_load written back', async () => {
    child = startChild(['--config', file])
    const credFile = join(dir, 'nats', 'credentials.json')
    const tenant = await waitFor(async () => (await loadCredentials(credFile).catch(() => undefined))?.tenants.acme, 'tenant credentials', 30_000)
    await waitFor(() => runs(child as Child).length > 0 ? true : undefined, `first run (output:\n${child.lines.join('\n')})`, 60_000)
    sub = await subscribe({ url: `nats://127.0.0.1:${natsPort}`, caFile: join(dir, 'certs', 'ca.pem'), issue: async (_t, type, name) => await issueUser(tenant, type, name) }, 'acme', 'hr', 'HR.>')
    first = await sub.take({ expectAtLeast: 3 })
    const byName = new Map(first.map(r => [r.body.user.userName, r]))
    assert.deepEqual([...byName.keys()].sort(), ['ann@acme.test', 'bob@acme.test', 'eve@acme.test'], 'future joiner, already-gone leaver and the malformed record are not published')
    for (const r of first) {
      assert.equal(r.subject, 'HR.ALL')
      assert.equal(r.body.activityOperation, 'createUser')
      assert.notEqual(r.body.user.active, false)
    }
    assert.equal(byName.get('eve@acme.test')?.body.user.department, 'Sales', 'most_current employment')
    assert.deepEqual(byName.get('eve@acme.test')?.body.user.groups, [{ value: 'grp-sales', display: 'Sales' }])
    assert.equal(byName.get('bob@acme.test')?.body.user.department, undefined, 'pre-activated: no current employment yet')
    const out = child.lines.join('\n')
    assert.match(out, /HR record skipped/)
    assert.match(out, /failover|failed/)
    const text = await waitFor(async () => { const t = await readFile(file, 'utf8'); return t.includes('do_initial_load: false') ? t : undefined }, 'write-back')
    assert.match(text, /# e2e config: comments must survive/)
    assert.match(text, /# becomes false after the first load/)
  })

  it('leaver: the end date passed → modifyUser with active false', async () => {
    const ann = person('1', 'ann', [{ start: TODAY - 100 * DAY, end: TODAY - 2 * DAY, dept: 'Engineering' }])
    hr.setPersons([ann, preactive, future, gone, mover, malformed])
    const got = await (sub as ContractSubscriber).take({ expectAtLeast: 1, waitMs: 30_000 })
    const msg = got.find(r => r.body.user.userName === 'ann@acme.test')
    assert.ok(msg, JSON.stringify(got.map(r => r.body)))
    assert.equal(msg.body.activityOperation, 'modifyUser')
    assert.equal(msg.body.user.active, false)
    assert.ok(msg.body.Operations.some(op => op.path === 'active' && op.value === false), JSON.stringify(msg.body.Operations))
  })

  it('HR down: runs fail, errors are mailed, throttled by send_interval; back up: collection resumes', async () => {
    const before = smtp.messages.length
    await hr.setDown(true, 'refuse')
    const from = (child as Child).lines.length
    await waitFor(() => (child as Child).lines.slice(from).filter(l => l.includes('collection run failed')).length >= 4 ? true : undefined, 'failed runs', 60_000)
    await smtp.waitFor(before + 2, 30_000)
    const errors = (child as Child).lines.slice(from).filter(l => l.includes(' error: ')).length
    const mails = smtp.messages.slice(before)
    assert.ok(mails.length < errors, `throttled: ${mails.length} mails for ${errors} errors`)
    assert.equal(mails[0]?.headers.subject, 'SCIM Stream e2e error')
    assert.ok(mails.some(m => (m.text.match(/collection run failed/g) ?? []).length >= 2), 'a later mail lists the errors of its interval')
    await hr.setDown(false)
    const resumed = (child as Child).lines.length
    await waitFor(() => runs(child as Child, resumed).length > 0 ? true : undefined, 'a run after the outage', 30_000)
  })

  it('SIGTERM stops cleanly; a restart publishes nothing for unchanged users', async () => {
    const c = child as Child
    c.proc.kill('SIGTERM')
    assert.equal(await c.exited, 0)
    child = startChild(['--config', file])
    await waitFor(() => runs(child as Child).length >= 2 ? true : undefined, 'two runs after restart', 60_000)
    for (const r of runs(child)) assert.equal(r.published, 0, JSON.stringify(r))
    assert.deepEqual(await (sub as ContractSubscriber).take({ waitMs: 1500 }), [])
  })
})
