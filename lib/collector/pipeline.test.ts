// One tenant run without NATS (a scripted publisher): the state is recorded only for acknowledged
// messages, so a failed publish is sent again next run; incomplete collections delete nobody;
// lifecycle decisions (future joiner, leaver never seen) and malformed records.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JsonObject } from '../scim/types.ts'
import { silentLogger } from '../logging/types.ts'
import { compileMapper } from './mapper/index.ts'
import { compileDynamics } from './dynamics/index.ts'
import { compileStreamRules } from './rules/index.ts'
import { runTenant, type LifecycleDecision, type TenantProgram } from './pipeline.ts'
import type { Publisher, PubAck } from './publisher.ts'
import { openTenantState, type TenantState } from './state.ts'

interface Sent { subject: string, body: { activityOperation: string, user: JsonObject } }

/** Acks everything except subjects/users listed in `failFor`. */
function scriptedPublisher (failFor: Set<string>): Publisher & { sent: Sent[] } {
  const sent: Sent[] = []
  const stats = { acked: 0, failed: 0, retried: 0 }
  return {
    sent,
    stats,
    submit (subject, body, _id, onAck, onFail) {
      const parsed = JSON.parse(new TextDecoder().decode(body)) as Sent['body']
      sent.push({ subject, body: parsed })
      if (failFor.has(String(parsed.user.userName))) { stats.failed++; onFail(new Error('scripted failure')); return undefined }
      stats.acked++
      onAck({ stream: 't', seq: sent.length, duplicate: false } satisfies PubAck)
      return undefined
    },
    async drain () {},
    close () {}
  }
}

const program = (lifecycle?: (p: JsonObject) => LifecycleDecision): TenantProgram => ({
  tenant: 't',
  type: 'hr',
  mapper: compileMapper([{ source: 'id', map_to: 'externalId' }, { source: 'mail', map_to: 'userName' }, { source: 'dept', map_to: 'department' }]),
  dynamics: compileDynamics([]),
  streams: compileStreamRules([{ channel: 'ALL', rules: [{ filter: '(.*)' }] }]),
  deleteMissing: true,
  ...(lifecycle !== undefined ? { lifecycle } : {})
})

async function * from (list: JsonObject[]): AsyncGenerator<JsonObject> { yield * list }

describe('tenant run', () => {
  let dir: string
  let state: TenantState
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scim-stream-run-'))
    state = await openTenantState(dir, 't')
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })
  const deps = (publisher: Publisher): Parameters<typeof runTenant>[2] => ({ state, publisher, log: silentLogger, initiator: { id: 'scim-stream', upn: 'scim-stream@t' } })

  it('a failed publish is not recorded and goes out again next run; acknowledged ones do not', async () => {
    const persons = [{ id: '1', mail: 'a@t', dept: 'X' }, { id: '2', mail: 'b@t', dept: 'X' }]
    const p1 = scriptedPublisher(new Set(['b@t']))
    const s1 = await runTenant(program(), { persons: from(persons), complete: () => true }, deps(p1))
    assert.equal(s1.failed, 1)
    assert.equal(state.get('ALL', '1') !== undefined, true)
    assert.equal(state.get('ALL', '2'), undefined)
    const p2 = scriptedPublisher(new Set())
    await runTenant(program(), { persons: from(persons), complete: () => true }, deps(p2))
    assert.deepEqual(p2.sent.map(s => [s.body.activityOperation, s.body.user.userName]), [['createUser', 'b@t']])
  })

  it('an incomplete collection deletes nobody; a complete one deletes the vanished', async () => {
    const p1 = scriptedPublisher(new Set())
    const s1 = await runTenant(program(), { persons: from([{ id: '1', mail: 'a@t', dept: 'X' }]), complete: () => false }, deps(p1))
    assert.equal(s1.deletionSkipped, true)
    assert.deepEqual(p1.sent, [])
    const p2 = scriptedPublisher(new Set())
    await runTenant(program(), { persons: from([{ id: '1', mail: 'a@t', dept: 'X' }]), complete: () => true }, deps(p2))
    assert.deepEqual(p2.sent.map(s => [s.body.activityOperation, s.body.user.userName]), [['deleteUser', 'b@t']])
  })

  it('future joiners are not published; a leaver never seen is not created; a seen one is deactivated', async () => {
    const life = (p: JsonObject): LifecycleDecision => p.state === 'future' ? { include: false } : p.state === 'left' ? { include: true, active: false } : { include: true, active: true }
    const persons = [
      { id: '1', mail: 'a@t', dept: 'X', state: 'left' },
      { id: '3', mail: 'c@t', dept: 'X', state: 'future' },
      { id: '4', mail: 'd@t', dept: 'X', state: 'left' }
    ]
    const p = scriptedPublisher(new Set())
    const s = await runTenant(program(life), { persons: from(persons), complete: () => true }, deps(p))
    assert.deepEqual(p.sent.map(m => [m.body.activityOperation, m.body.user.userName, m.body.user.active]), [['modifyUser', 'a@t', false]])
    assert.equal(s.skipped, 2)
    assert.equal(s.deleted, 0, 'future and never-seen leavers count as present')
  })

  it('a record mapped without userName/externalId is skipped and blocks deletions of that run', async () => {
    const p = scriptedPublisher(new Set())
    const s = await runTenant(program(), { persons: from([{ dept: 'X' }]), complete: () => true }, deps(p))
    assert.equal(s.malformed, 1)
    assert.equal(s.deletionSkipped, true)
    assert.deepEqual(p.sent, [])
  })
})
