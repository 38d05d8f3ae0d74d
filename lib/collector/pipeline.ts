// One collection run of a tenant: collect → lifecycle → map → dynamics → per-channel rules → diff
// against the last published state → publish (bounded in flight) → record the state after the ack.
// Persons stream through one at a time; only the publishes in flight and the set of keys seen are
// held, so memory does not grow with the size of the source beyond the published state itself.
import type { Logger } from '../logging/types.ts'
import type { JsonObject } from '../scim/types.ts'
import type { CompiledMapper } from './mapper/index.ts'
import { applyDynamics, type CompiledDynamics } from './dynamics/index.ts'
import { anyRuleHolds, type CompiledRule, type CompiledStreams } from './rules/index.ts'
import { deleteUser, diffView, leaveChannel, membershipOf, prepareUser, type UserChange, type ViewParts } from './diff.ts'
import { messageJson, newMessageId, subjectOf, type Initiator } from './message.ts'
import { initiatorOf, ruleMessage } from './initiator.ts'
import type { Publisher } from './publisher.ts'
import type { TenantState } from './state.ts'
import type { CollectorType, LifecycleDecision, RunSource } from './sources/types.ts'

export type { LifecycleDecision, RunSource } from './sources/types.ts'

/** The compiled, per-tenant parts of a run (recompiled on hot reload). */
export interface TenantProgram {
  readonly tenant: string
  readonly type: CollectorType
  readonly mapper: CompiledMapper
  readonly dynamics: CompiledDynamics
  readonly streams: CompiledStreams
  readonly lifecycle?: (person: JsonObject) => LifecycleDecision
  /** Publish deleteUser for persons missing from a complete collection. */
  readonly deleteMissing: boolean
}

/** Runtime dependencies of a run. */
export interface RunDeps {
  state: TenantState
  publisher: Publisher
  log: Logger
  initiator: Initiator
  now?: () => Date
}

/** Figures of one run. */
export interface RunStats {
  persons: number
  skipped: number
  malformed: number
  published: number
  unchanged: number
  deleted: number
  failed: number
  deletionSkipped: boolean
  /** The run was stopped early (service stopping). */
  aborted?: boolean
}

/**
 * Runs one collection for a tenant (`fullLoad`: ignore the published state, send every user).
 * @example const stats = await runTenant(program, { persons, complete: () => true }, { state, publisher, log, initiator })
 */
export async function runTenant (program: TenantProgram, source: RunSource, deps: RunDeps, opts: { fullLoad?: boolean, fullLoadFilter?: readonly CompiledRule[], signal?: AbortSignal } = {}): Promise<RunStats> {
  const { publisher, log } = deps
  let fullLoad = opts.fullLoad === true
  const state = deps.state
  // A full load ignores what was published: every user is sent again (createUser), state replaced.
  // With `fullLoadFilter` (do_initial_load_filter) only the users the rule holds for; the others run as usual.
  const previous = (channel: string, key: string): ViewParts | undefined => fullLoad ? undefined : state.get(channel, key)
  const clock = deps.now ?? (() => new Date())
  const stats: RunStats = { persons: 0, skipped: 0, malformed: 0, published: 0, unchanged: 0, deleted: 0, failed: 0, deletionSkipped: false }
  const channels = program.streams.channels
  const seen = new Set<string>()

  // Returns a promise only when the publisher is full (the common case allocates none).
  const publish = (channel: string, key: string, target: { id: string, upn: string }, change: UserChange, by: Initiator = deps.initiator): Promise<void> | undefined => {
    if (change.recordOnly === true) {
      state.set(channel, key, change.nextState)
      return undefined
    }
    const msgId = newMessageId()
    const body = messageJson(change.activityOperation, change.operationsJson, change.userJson, target, by, clock())
    const subject = subjectOf(program.type, channel)
    const wait = publisher.submit(subject, Buffer.from(body, 'utf8'), msgId, () => {
      state.set(channel, key, change.nextState)
    }, (err) => {
      stats.failed++
      log.error(`publish failed after retries: ${err.message}; the change is published again next run`, { subject, key, activityOperation: change.activityOperation })
    })
    if (change.activityOperation === 'deleteUser') stats.deleted++
    else stats.published++
    return wait
  }

  try {
    for await (const person of source.persons) {
      if (opts.signal?.aborted === true) break // stopping: what was published is recorded below
      stats.persons++
      let decision: LifecycleDecision
      try {
        decision = program.lifecycle?.(person) ?? { include: true }
      } catch (err) {
        stats.malformed++
        log.error(`HR record skipped: ${(err as Error).message}`, { tenant: program.tenant, record: preview(person) })
        continue
      }
      const { user: mapped, errors } = program.mapper.map(person)
      for (const e of errors) log.warn(`mapping ${e.path} (${e.mapTo}) failed: ${e.message}`, { tenant: program.tenant })
      const key = keyOf(mapped)
      if (key === undefined) {
        stats.malformed++
        log.error('HR record skipped: the mapped user has no userName/externalId', { tenant: program.tenant, record: preview(person) })
        continue
      }
      seen.add(key)
      if (!decision.include) { stats.skipped++; continue }
      if (decision.active !== undefined) mapped.active = decision.active
      const { user } = applyDynamics(mapped, program.dynamics)
      const target = { id: typeof user.id === 'string' ? user.id : key, upn: typeof user.userName === 'string' ? user.userName : key }
      const by = initiatorOf(person, deps.initiator)
      const ruleInput = ruleMessage(user, by, person)
      if (opts.fullLoad === true && opts.fullLoadFilter !== undefined) fullLoad = anyRuleHolds(opts.fullLoadFilter, ruleInput)
      const views = program.streams.evaluate(ruleInput)
      const prepared = prepareUser(user)
      const matched = new Set<string>()
      for (const v of views) {
        matched.add(v.channel)
        const prev = previous(v.channel, key)
        // Someone who already left before the channel ever saw them is not created (as inactive).
        if (decision.active === false && state.get(v.channel, key) === undefined) { stats.skipped++; continue }
        const change = diffView(prev, prepared, membershipOf(v.user))
        if (change === undefined) { stats.unchanged++; continue }
        const w = publish(v.channel, key, target, change, by)
        if (w !== undefined) await w
      }
      for (const ch of channels) {
        if (matched.has(ch)) continue
        const change = leaveChannel(previous(ch, key))
        if (change === undefined) continue
        const w = publish(ch, key, target, change, by)
        if (w !== undefined) await w
      }
    }
  } catch (err) {
    // The source failed (or was aborted because the service stops): what was already submitted is
    // still acknowledged and recorded; a failure is then reported to the caller.
    await publisher.drain()
    await state.flush()
    if (opts.signal?.aborted !== true) throw err
  }

  if (program.deleteMissing) {
    if (opts.signal?.aborted === true || !source.complete() || stats.malformed > 0) {
      stats.deletionSkipped = true
      log.warn('collection incomplete or with malformed records: no deletions this run', { tenant: program.tenant })
    } else {
      for (const ch of channels) {
        const gone: string[] = []
        for (const key of state.keys(ch)) if (!seen.has(key)) gone.push(key)
        for (const key of gone) {
          const prev = state.get(ch, key)
          if (prev === undefined) continue
          const last = JSON.parse(prev.base) as JsonObject
          await publish(ch, key, { id: typeof last.id === 'string' ? last.id : key, upn: typeof last.userName === 'string' ? last.userName : key }, deleteUser(prev))
        }
      }
    }
  }
  await publisher.drain()
  await state.flush()
  if (opts.signal?.aborted === true) stats.aborted = true
  return stats
}

/** The identity of a user across runs: externalId, else userName. */
export function keyOf (user: JsonObject): string | undefined {
  for (const k of ['externalId', 'userName'] as const) {
    const v = user[k]
    if (typeof v === 'string' && v !== '') return v
    if (typeof v === 'number') return String(v)
  }
  return undefined
}

function preview (person: JsonObject): string {
  const s = JSON.stringify(person)
  return s.length > 200 ? `${s.slice(0, 200)}…` : s
}
