// The Entra ID collector: users from Microsoft Graph `users/delta`, with their group memberships and
// app roles, as a complete collection per run.
//
// A run reads one delta round (`@odata.nextLink` pages until `@odata.deltaLink`): the first run (or
// `do_initial_load`, or a delta link Graph no longer accepts: 410 Gone / syncStateNotFound) starts
// without a token and gets every user; later runs start from the stored delta link and get only the
// users changed since (merged into the stored ones) and those `@removed`. Memberships and roles are
// read for the users of the round only (bounded by `max_concurrency`), the others keep theirs —
// unless an incremental run finds that their groups or app roles changed: groups/delta tells who
// joined or left which group (groups-delta.ts), each tracked application's appRoleAssignedTo who
// has which role (app-roles-delta.ts); only those users' memberships or roles are read again.
// Roles assigned to a group are given to its direct members (group-roles.ts): with app roles on,
// every user's own roles are read or taken from the mirror first, then the role-carrying groups are
// brought up to date, then each user's roles are its own plus its groups', and the set is yielded.
// The persons yielded are always the whole current set (mirror.ts says why), so the pipeline's
// "missing from a complete collection" rule turns removals into deleteUser and nobody else is
// touched; an aborted or failed run stores nothing and yields an incomplete collection.
import { initiatorTracker, roleApps, type InitiatorTracker } from './initiators.ts'
import { GROUP_IDS_KEY, ROLE_APPS_KEY } from '../../rules/index.ts'
import type { Logger } from '../../../logging/types.ts'
import type { JsonObject } from '../../../scim/types.ts'
import { parseEntraConfig, type EntraCollectorConfig, type EntraGeneralConfig } from './config.ts'
import { readApplications, storedAssignments, trackAppRoles, trackedResources, type RoleTracking } from './app-roles-delta.ts'
import { deriveRoles, membersAfterRound, updateGroupRoles, type GroupRoles } from './group-roles.ts'
import { createGraphClient, graphAnswerError, graphReason, needsResync, type GraphClient } from './graph.ts'
import { patchGroupNames, trackGroups, type GroupTracking } from './groups-delta.ts'
import { ASSIGNMENTS_KEY, DIRECT_ROLES_KEY, mapOrdered, membershipReader, type MembershipReader } from './memberships.ts'
import { fileMirrorStore, memoryMirrorStore, type Mirror, type MirrorStore } from './mirror.ts'

/** Dependencies of {@link createEntraCollector}. */
export interface EntraCollectorDeps {
  log: Logger
  /** Added to log lines. */
  tenant?: string
  /** Where the delta link and the collected users are kept (`<dir>/<tenant>.entra.jsonl`); memory when absent. */
  stateDir?: string
  /** Another store (tests). */
  store?: MirrorStore
  now?: () => Date
  /** Waits (Retry-After); injectable for tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
}

/** How the last run went. */
export interface EntraRunInfo {
  mode: 'full' | 'delta'
  /** Users in the collection (yielded). */
  users: number
  /** Users in the delta round (all of them in a full read). */
  changed: number
  /** Users Graph reported `@removed` (dropped from the collection). */
  removed: number
  /** Delta entries without an id (skipped; the collection is then not complete). */
  malformed: number
  /** Why a stored delta link was not used, when it was not. */
  fullReason?: string
  /** How group changes were tracked (absent with group_membership none). */
  groups?: GroupTracking['mode']
  /** Users outside the users round whose groups were read again (membership changes). */
  groupsReread?: number
  /** Users outside the users round whose app roles were read again (assignment changes). */
  rolesReread?: number
  /** Applications whose appRoleAssignedTo was read (app_roles: every run). */
  applications?: number
  /** Groups carrying app roles of a tracked application (their direct members hold those roles). */
  groupRoles?: number
  /** Role-carrying groups whose members were read this run (new ones; all on a full read or with group_membership none). */
  groupMembersRead?: number
  /** Users not handed on: guests without include_guest_users, UPNs in skip_upn_startswith. */
  excluded?: number
}

/** A streaming collection: iterate `persons`; `complete()` is final once the iteration ended. */
export interface EntraStream {
  persons: AsyncIterable<JsonObject>
  /** True after an iteration that read a whole delta round and skipped nothing (deletions are safe). */
  complete (): boolean
  info (): EntraRunInfo | undefined
}

/** The Entra collector of one tenant. */
export interface EntraCollector {
  stream (signal?: AbortSignal): EntraStream
  /** Collects into memory (tests, `rules test`). */
  collect (signal?: AbortSignal): Promise<{ persons: JsonObject[], complete: boolean, info: EntraRunInfo | undefined }>
  readonly config: EntraCollectorConfig
  /** Microsoft Graph through lib/helpers/rest (token requests and HTTP stats on `graph.rest`). */
  readonly graph: GraphClient
}

/**
 * Creates the collector. `cfg` is the `entra.<tenant>` section (or its parsed form).
 * @throws EntraConfigError listing every configuration problem
 * @example
 * const entra = createEntraCollector(config.entra.contoso, { log, tenant: 'contoso', stateDir })
 * for await (const person of entra.stream().persons) console.log(person.userPrincipalName)
 */
export function createEntraCollector (cfg: EntraCollectorConfig | { auth?: unknown, general?: unknown }, deps: EntraCollectorDeps): EntraCollector {
  return new EntraTenantCollector(parseEntraConfig(cfg), deps)
}

/** Where a run starts: the stored users (delta) or none (full), and the users round read from Graph. */
interface RoundStart { mirror: Mirror | undefined, round: DeltaRound, fullReason: string | undefined }

/** What changed besides the users' own properties: group memberships and app role assignments. */
interface Tracking { groups: GroupTracking | undefined, roles: RoleTracking | undefined }

/** One run's working set: the users after the round, and what to read again for whom. */
interface RunState extends RoundStart, Tracking {
  mode: 'full' | 'delta'
  users: Map<string, JsonObject>
  read: MembershipReader
  info: EntraRunInfo
  signal: AbortSignal
  /** Role-carrying groups after the run (app roles only). */
  groupRoles?: GroupRoles
}

/**
 * The collector of one tenant. A run is a sequence of named steps: {@link #startRound} (stored
 * mirror or full read), {@link mergeRound}, initiators, {@link #track} (groups/app-role changes),
 * then {@link #plainUsers} or {@link #usersWithRoles} yield the collection, and {@link #finish}
 * stores it.
 */
class EntraTenantCollector implements EntraCollector {
  readonly config: EntraCollectorConfig
  readonly graph: GraphClient
  readonly #log: Logger
  readonly #store: MirrorStore
  readonly #initiators: InitiatorTracker
  /**
   * 'v2': stored users carry their raw app role assignments and a groups delta link; 'v3': their own
   * roles apart (`@directRoles`) and the role-carrying groups (older mirrors: one full read).
   * 'manager': users carry `managerId` from `manager@delta` (older mirrors: one full read).
   */
  readonly #fingerprint: string
  readonly #firstQuery: string
  #initialLoadPending: boolean

  constructor (config: EntraCollectorConfig, deps: EntraCollectorDeps) {
    const { general } = config
    this.config = config
    this.#log = deps.tenant !== undefined ? deps.log.child({ tenant: deps.tenant }) : deps.log
    const now = deps.now ?? (() => new Date())
    this.graph = createGraphClient(config, { log: this.#log, now, ...(deps.sleep !== undefined ? { sleep: deps.sleep } : {}) })
    this.#store = deps.store ?? (deps.stateDir !== undefined ? fileMirrorStore(deps.stateDir, deps.tenant ?? 'entra') : memoryMirrorStore())
    this.#fingerprint = JSON.stringify(['v3', 'manager', config.auth.graph_url, config.auth.tenant_id, general.select, general.group_membership, general.app_roles])
    this.#firstQuery = `/v1.0/users/delta?$select=${general.select.join(',')}&$expand=manager`
    this.#initialLoadPending = general.do_initial_load
    this.#initiators = initiatorTracker(this.graph, this.#log, now)
  }

  stream (signal?: AbortSignal): EntraStream {
    const out: { complete: boolean, info: EntraRunInfo | undefined } = { complete: false, info: undefined }
    return { persons: this.#run(signal, out), complete: () => out.complete, info: () => out.info }
  }

  async collect (signal?: AbortSignal): Promise<{ persons: JsonObject[], complete: boolean, info: EntraRunInfo | undefined }> {
    const s = this.stream(signal)
    const persons: JsonObject[] = []
    for await (const p of s.persons) persons.push(p)
    return { persons, complete: s.complete(), info: s.info() }
  }

  async * #run (signal: AbortSignal | undefined, out: { complete: boolean, info: EntraRunInfo | undefined }): AsyncGenerator<JsonObject> {
    const ctl = new AbortController()
    const sig = signal !== undefined ? AbortSignal.any([signal, ctl.signal]) : ctl.signal
    const { general } = this.config
    try {
      const start = await this.#startRound(sig)
      const mode = start.mirror === undefined ? 'full' : 'delta'
      const { users, removed } = mergeRound(start.mirror, start.round)
      // who made this round's changes (directory audit log): stored with the users
      await this.#initiators.apply(users, [...start.round.changes].filter(([, rec]) => rec !== null).map(([id]) => id), sig)
      const read = membershipReader(this.graph, { groupMembership: general.group_membership, appRoles: general.app_roles })
      const tracking = await this.#track(start, mode, users, read, sig)
      const info = runInfo(start, tracking, mode, users.size, removed)
      out.info = info
      const run: RunState = { ...start, ...tracking, mode, users, read, info, signal: sig }
      const persons = general.app_roles ? this.#usersWithRoles(run) : this.#plainUsers(run)
      for await (const p of persons) {
        if (p !== undefined) yield p
        else info.excluded = (info.excluded ?? 0) + 1
      }
      await this.#finish(run)
      out.complete = start.round.malformed === 0
    } finally {
      ctl.abort()
    }
  }

  /** Reads the users round: from the stored delta link, or everything (first run, do_initial_load, changed options, a link Graph rejects). */
  async #startRound (signal: AbortSignal): Promise<RoundStart> {
    let fullReason: string | undefined
    let mirror: Mirror | undefined
    if (this.#initialLoadPending) fullReason = 'do_initial_load'
    else {
      mirror = await this.#store.load()
      if (mirror === undefined) fullReason = 'no stored delta link'
      else if (mirror.fingerprint !== this.#fingerprint) { fullReason = 'select, group_membership, app_roles or the Graph tenant changed'; mirror = undefined }
    }
    if (mirror !== undefined) {
      try {
        return { mirror, round: await readRound(this.graph, mirror.deltaLink, signal), fullReason }
      } catch (err) {
        if (!needsResync(err)) throw err
        fullReason = `Graph rejected the stored delta link (${(err as Error).message})`
        this.#log.warn(`Entra delta link no longer valid: full read of the users (${graphReason(err)})`)
      }
    }
    return { mirror: undefined, round: await readRound(this.graph, this.#firstQuery, signal), fullReason }
  }

  /** Group memberships and app roles that changed without a property change of the user. */
  async #track (start: RoundStart, mode: 'full' | 'delta', users: Map<string, JsonObject>, read: MembershipReader, signal: AbortSignal): Promise<Tracking> {
    const { general } = this.config
    const log = this.#log
    const groups = general.group_membership === 'none'
      ? undefined
      : await trackGroups(this.graph, { deltaLink: start.mirror?.groupsDeltaLink, fullUsers: mode === 'full', users, transitive: general.group_membership === 'transitive', concurrency: general.max_concurrency, log }, signal)
    const roles = mode === 'delta' && general.app_roles
      ? await trackAppRoles(this.graph, read, { users, configured: general.app_role_resources, groupResources: groupResources(start.mirror?.groupRoles), concurrency: general.max_concurrency, log }, signal)
      : undefined
    return { groups, roles }
  }

  /** Without app roles: each user brought up to date (memberships read where needed) and yielded as it is ready. */
  async * #plainUsers (run: RunState): AsyncGenerator<JsonObject | undefined> {
    const { general } = this.config
    for await (const p of mapOrdered([...run.users.values()], general.max_concurrency, refresher(run))) yield forMapper(p, general, undefined, run.users)
  }

  /**
   * With app roles: roles through groups need every user's own roles and the groups' assignments
   * first; then each user's roles are its own plus its groups'.
   */
  async * #usersWithRoles (run: RunState): AsyncGenerator<JsonObject | undefined> {
    const { general } = this.config
    const sig = run.signal
    for await (const p of mapOrdered([...run.users.values()], general.max_concurrency, refresher(run))) void p
    const live = run.roles?.live ?? await readApplications(this.graph, await trackedResources(run.read, usersResources(run.users), { configured: general.app_role_resources, log: this.#log }, sig), general.max_concurrency, sig)
    const stored = run.mirror?.groupRoles ?? new Map()
    const known = membersAfterRound(stored, run.groups)
    const updated = await updateGroupRoles(this.graph, run.read, { stored, known, live, concurrency: general.max_concurrency }, sig)
    run.groupRoles = updated.groups
    deriveRoles(run.users, updated.groups)
    Object.assign(run.info, { applications: live.size, groupRoles: updated.groups.size, groupMembersRead: updated.membersRead })
    const apps = await roleApps(run.read, live.keys(), sig)
    for (const p of run.users.values()) yield forMapper(p, general, apps, run.users)
  }

  /** Stores the run (the next one starts from its delta links) and logs what it did. */
  async #finish (run: RunState): Promise<void> {
    const { groups, info, mode } = run
    await this.#store.save({ deltaLink: run.round.deltaLink, ...(groups !== undefined ? { groupsDeltaLink: groups.deltaLink } : {}), fingerprint: this.#fingerprint, persons: run.users, ...(run.groupRoles !== undefined ? { groupRoles: run.groupRoles } : {}) })
    this.#initialLoadPending = false
    const also = (mode === 'delta' ? `, groups re-read for ${info.groupsReread ?? 0} (${groups?.mode ?? 'off'}), roles re-read for ${info.rolesReread ?? 0} (${run.roles?.applications ?? 0} applications compared)` : '') +
      (info.groupRoles !== undefined ? `, ${info.groupRoles} groups with app roles (members read for ${info.groupMembersRead ?? 0})` : '')
    this.#log.info(`Entra ${mode} read: ${info.users} users, ${info.changed} in the delta round, ${info.removed} removed${also}${run.fullReason !== undefined && mode === 'full' ? ` (full: ${run.fullReason})` : ''}`, { requests: this.graph.requests })
  }
}

/** The users after the round: the stored ones (none on a full read) with the round's changes merged and removals dropped. */
function mergeRound (mirror: Mirror | undefined, round: DeltaRound): { users: Map<string, JsonObject>, removed: number } {
  const users = mirror?.persons ?? new Map<string, JsonObject>()
  let removed = 0
  for (const [id, rec] of round.changes) {
    if (rec === null) {
      if (users.delete(id)) removed++
      continue
    }
    const prev = users.get(id)
    // Graph sends at least the changed properties of an updated user: merge onto the stored one.
    users.set(id, prev === undefined ? rec : { ...prev, ...rec })
  }
  return { users, removed }
}

function inRound (round: DeltaRound, id: string): boolean {
  const rec = round.changes.get(id)
  return rec !== undefined && rec !== null
}

function runInfo (start: RoundStart, t: Tracking, mode: 'full' | 'delta', users: number, removed: number): EntraRunInfo {
  const groupsReread = [...t.groups?.reread ?? []].filter(id => !inRound(start.round, id)).length
  const rolesReread = [...t.roles?.reread ?? []].filter(id => !inRound(start.round, id)).length
  return {
    mode,
    users,
    changed: [...start.round.changes.values()].filter(v => v !== null).length,
    removed,
    malformed: start.round.malformed,
    ...(start.fullReason !== undefined ? { fullReason: start.fullReason } : {}),
    ...(t.groups !== undefined ? { groups: t.groups.mode, groupsReread } : {}),
    ...(t.roles !== undefined ? { rolesReread, applications: t.roles.applications } : {})
  }
}

/**
 * Brings one user up to date: users of the round get memberships and roles read again, users whose
 * groups or roles changed get that part read again, the others only renamed groups patched.
 */
function refresher (run: RunState): (p: JsonObject) => Promise<JsonObject> {
  const renames = run.groups?.renames ?? new Map<string, string>()
  return async (p) => {
    const id = p.id as string
    const all = inRound(run.round, id)
    const parts = { groups: all || run.groups?.reread.has(id) === true, roles: all || run.roles?.reread.has(id) === true }
    if (!parts.groups && !parts.roles) {
      const renamed = patchGroupNames(p, renames)
      if (renamed === undefined) return p
      run.users.set(id, renamed)
      return renamed
    }
    const m = await run.read(id, run.signal, parts)
    let withM: JsonObject = {
      ...p,
      ...(m.memberOf !== undefined ? { memberOf: m.memberOf as unknown as JsonObject[] } : {}),
      ...(m.appRoles !== undefined ? { [DIRECT_ROLES_KEY]: m.appRoles as unknown as JsonObject[] } : {}),
      ...(m.assignments !== undefined ? { [ASSIGNMENTS_KEY]: m.assignments as unknown as JsonObject[] } : {})
    }
    if (!parts.groups) withM = patchGroupNames(withM, renames) ?? withM
    run.users.set(id, withM)
    return withM
  }
}

interface DeltaRound {
  /** Users of the round by id; null = `@removed`. */
  changes: Map<string, JsonObject | null>
  deltaLink: string
  malformed: number
}

async function readRound (graph: GraphClient, start: string, signal: AbortSignal): Promise<DeltaRound> {
  const changes = new Map<string, JsonObject | null>()
  let malformed = 0
  let deltaLink: string | undefined
  for await (const page of graph.pages(start, signal)) {
    for (const v of page.value) {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof (v as JsonObject).id !== 'string') { malformed++; continue }
      const entry = v as JsonObject
      const id = entry.id as string
      if (entry['@removed'] !== undefined) { changes.set(id, null); continue }
      const rec: JsonObject = {}
      for (const [k, val] of Object.entries(entry)) if (!k.includes('@')) rec[k] = val
      // $expand=manager in a delta round gives only the manager's id; the rest comes from the mirror.
      const mgr = entry['manager@delta']
      if (Array.isArray(mgr)) {
        const m = mgr[0] as JsonObject | undefined
        rec[MANAGER_ID_KEY] = m === undefined || m['@removed'] !== undefined || typeof m.id !== 'string' || m.id === '' ? null : m.id
      }
      const prev = changes.get(id)
      // The same user may appear more than once in a round: later pages win, property by property.
      changes.set(id, prev === undefined || prev === null ? rec : { ...prev, ...rec })
    }
    if (page.deltaLink !== undefined) deltaLink = page.deltaLink
  }
  if (deltaLink === undefined) throw graphAnswerError('the users/delta round ended without @odata.deltaLink')
  return { changes, deltaLink, malformed }
}

/**
 * What the mapper sees: a copy without the collector's own bookkeeping (`@assignments`,
 * `@directRoles`), group values as documented (the displayName unless `use_original_group_id`), the
 * groups also as `groups` (the documented default mapper's source name). Undefined for a user that is
 * not collected (a guest without `include_guest_users`, a UPN prefix in `skip_upn_startswith`); such a
 * user stays in the mirror, so changing those options needs no new read of Graph. `apps` (application
 * names by object id) becomes `@roleApps` for the stream rules.
 */
export function forMapper (p: JsonObject, general: Pick<EntraGeneralConfig, 'include_guest_users' | 'skip_upn_startswith' | 'use_original_group_id'>, apps?: JsonObject, users?: ReadonlyMap<string, JsonObject>): JsonObject | undefined {
  const upn = typeof p.userPrincipalName === 'string' ? p.userPrincipalName : ''
  // Guests: userType Guest; without userType (an old mirror) the #EXT# UPN of invited users tells.
  const guest = p.userType === 'Guest' || (p.userType === undefined && upn.includes('#EXT#'))
  if (guest && !general.include_guest_users) return undefined
  const lower = upn.toLowerCase()
  if (general.skip_upn_startswith.some(prefix => lower.startsWith(prefix))) return undefined
  const out = structuredClone(p)
  if (apps !== undefined) out[ROLE_APPS_KEY] = apps // shared, read-only: application names by object id
  delete out[ASSIGNMENTS_KEY]
  delete out[DIRECT_ROLES_KEY]
  // `manager` as the documented default mapper reads it (manager.userPrincipalName / .displayName),
  // resolved from the collected users, so a manager's rename reaches the reports on the same run.
  const managerId = out[MANAGER_ID_KEY]
  delete out[MANAGER_ID_KEY]
  if (typeof managerId === 'string') {
    const m = users?.get(managerId)
    out.manager = { id: managerId, ...(typeof m?.userPrincipalName === 'string' ? { userPrincipalName: m.userPrincipalName } : {}), ...(typeof m?.displayName === 'string' ? { displayName: m.displayName } : {}) }
  }
  if (Array.isArray(out.memberOf)) {
    const groups = (out.memberOf as JsonObject[]).map(g => general.use_original_group_id ? g : { ...g, value: g.display ?? g.value })
    if (!general.use_original_group_id) {
      // the object ids by the value now published, so rules naming a group by id still match
      const ids: JsonObject = {}
      ;(out.memberOf as JsonObject[]).forEach((g, i) => {
        const v = groups[i]?.value
        if (typeof v === 'string' && typeof g.value === 'string') ids[v] = [...((ids[v] as string[] | undefined) ?? []), g.value]
      })
      out[GROUP_IDS_KEY] = ids
    }
    out.memberOf = groups
    if (out.groups === undefined) out.groups = structuredClone(groups)
  }
  return out
}

/** Where the manager's object id of a user is kept in the mirror (from `manager@delta`; null = none). */
const MANAGER_ID_KEY = '@managerId'

/** Resources the users have a role of themselves. */
function usersResources (users: ReadonlyMap<string, JsonObject>): Set<string> {
  const out = new Set<string>()
  for (const p of users.values()) for (const a of storedAssignments(p)) out.add(a.resourceId)
  return out
}

/** Resources the stored role-carrying groups have a role of. */
function groupResources (groups: GroupRoles | undefined): Set<string> {
  const out = new Set<string>()
  for (const g of groups?.values() ?? []) for (const a of g.assignments) out.add(a.resourceId)
  return out
}
