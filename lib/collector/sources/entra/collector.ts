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
import { initiatorTracker, roleApps } from './initiators.ts'
import { GROUP_IDS_KEY, ROLE_APPS_KEY } from '../../rules/index.ts'
import type { Logger } from '../../../logging/types.ts'
import type { JsonObject } from '../../../scim/types.ts'
import { createEntraAuth, type EntraAuth } from './auth.ts'
import { parseEntraConfig, type EntraCollectorConfig, type EntraGeneralConfig } from './config.ts'
import { readApplications, storedAssignments, trackAppRoles, trackedResources } from './app-roles-delta.ts'
import { deriveRoles, membersAfterRound, updateGroupRoles, type GroupRoles } from './group-roles.ts'
import { createGraphClient, GraphHttpError, needsResync, type GraphClient } from './graph.ts'
import { patchGroupNames, trackGroups, type GroupTracking } from './groups-delta.ts'
import { ASSIGNMENTS_KEY, DIRECT_ROLES_KEY, mapOrdered, membershipReader } from './memberships.ts'
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
  fetch?: typeof fetch
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
  readonly auth: EntraAuth
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
  const config = parseEntraConfig(cfg)
  const { general } = config
  const log = deps.tenant !== undefined ? deps.log.child({ tenant: deps.tenant }) : deps.log
  const fetchFn = deps.fetch ?? globalThis.fetch
  const now = deps.now ?? (() => new Date())
  const timeoutMs = Math.round(general.request_timeout * 1000)
  const auth = createEntraAuth(config.auth, { fetch: fetchFn, now, timeoutMs })
  const graph = createGraphClient({
    graphUrl: config.auth.graph_url, auth, fetch: fetchFn, log, timeoutMs, maxRetries: general.max_retries,
    maxPages: general.max_pages, maxConcurrency: general.max_concurrency, now,
    ...(deps.sleep !== undefined ? { sleep: deps.sleep } : {})
  })
  const store = deps.store ?? (deps.stateDir !== undefined ? fileMirrorStore(deps.stateDir, deps.tenant ?? 'entra') : memoryMirrorStore())
  // 'v2': stored users carry their raw app role assignments and a groups delta link; 'v3': their own
  // roles apart (`@directRoles`) and the role-carrying groups (older mirrors: one full read).
  // 'manager': users carry `managerId` from `manager@delta` (older mirrors: one full read).
  const fingerprint = JSON.stringify(['v3', 'manager', config.auth.graph_url, config.auth.tenant_id, general.select, general.group_membership, general.app_roles])
  const firstQuery = `/v1.0/users/delta?$select=${general.select.join(',')}&$expand=manager`
  let initialLoadPending = general.do_initial_load
  const initiators = initiatorTracker(graph, log, now)

  const stream = (signal?: AbortSignal): EntraStream => {
    let complete = false
    let info: EntraRunInfo | undefined

    async function * persons (): AsyncGenerator<JsonObject> {
      const ctl = new AbortController()
      const sig = signal !== undefined ? AbortSignal.any([signal, ctl.signal]) : ctl.signal
      try {
        let fullReason: string | undefined
        let mirror: Mirror | undefined
        if (initialLoadPending) fullReason = 'do_initial_load'
        else {
          mirror = await store.load()
          if (mirror === undefined) fullReason = 'no stored delta link'
          else if (mirror.fingerprint !== fingerprint) { fullReason = 'select, group_membership, app_roles or the Graph tenant changed'; mirror = undefined }
        }
        let round: DeltaRound | undefined
        if (mirror !== undefined) {
          try {
            round = await readRound(graph, mirror.deltaLink, sig)
          } catch (err) {
            if (!needsResync(err)) throw err
            fullReason = `Graph rejected the stored delta link (${(err as Error).message})`
            log.warn(`Entra delta link no longer valid: full read of the users (${(err as GraphHttpError).code ?? (err as GraphHttpError).status ?? ''})`)
            mirror = undefined
          }
        }
        if (round === undefined) round = await readRound(graph, firstQuery, sig)
        const mode = mirror === undefined ? 'full' : 'delta'
        const next = mirror?.persons ?? new Map<string, JsonObject>()
        let removed = 0
        for (const [id, rec] of round.changes) {
          if (rec === null) {
            if (next.delete(id)) removed++
            continue
          }
          const prev = next.get(id)
          // Graph sends at least the changed properties of an updated user: merge onto the stored one.
          next.set(id, prev === undefined ? rec : { ...prev, ...rec })
        }
        // who made this round's changes (directory audit log): stored with the users
        await initiators.apply(next, [...round.changes.keys()].filter(id => round?.changes.get(id) !== null), sig)
        const read = membershipReader(graph, { groupMembership: general.group_membership, appRoles: general.app_roles })
        // Group memberships and app roles that changed without a property change of the user.
        let groups: GroupTracking | undefined
        if (general.group_membership !== 'none') {
          groups = await trackGroups(graph, { deltaLink: mirror?.groupsDeltaLink, fullUsers: mode === 'full', users: next, transitive: general.group_membership === 'transitive', concurrency: general.max_concurrency, log }, sig)
        }
        const roles = mode === 'delta' && general.app_roles
          ? await trackAppRoles(graph, read, { users: next, configured: general.app_role_resources, groupResources: groupResources(mirror?.groupRoles), concurrency: general.max_concurrency, log }, sig)
          : undefined
        const inRound = (id: string): boolean => { const rec = round?.changes.get(id); return rec !== undefined && rec !== null }
        const groupsReread = [...groups?.reread ?? []].filter(id => !inRound(id)).length
        const rolesReread = [...roles?.reread ?? []].filter(id => !inRound(id)).length
        const renames = groups?.renames ?? new Map<string, string>()
        const refresh = (p: JsonObject): Promise<JsonObject> => {
          const id = p.id as string
          const all = inRound(id)
          const parts = { groups: all || groups?.reread.has(id) === true, roles: all || roles?.reread.has(id) === true }
          if (!parts.groups && !parts.roles) {
            const renamed = patchGroupNames(p, renames)
            if (renamed === undefined) return Promise.resolve(p)
            next.set(id, renamed)
            return Promise.resolve(renamed)
          }
          return read(id, sig, parts).then(m => {
            let withM: JsonObject = {
              ...p,
              ...(m.memberOf !== undefined ? { memberOf: m.memberOf as unknown as JsonObject[] } : {}),
              ...(m.appRoles !== undefined ? { [DIRECT_ROLES_KEY]: m.appRoles as unknown as JsonObject[] } : {}),
              ...(m.assignments !== undefined ? { [ASSIGNMENTS_KEY]: m.assignments as unknown as JsonObject[] } : {})
            }
            if (!parts.groups) withM = patchGroupNames(withM, renames) ?? withM
            next.set(id, withM)
            return withM
          })
        }
        info = {
          mode,
          users: next.size,
          changed: [...round.changes.values()].filter(v => v !== null).length,
          removed,
          malformed: round.malformed,
          ...(fullReason !== undefined ? { fullReason } : {}),
          ...(groups !== undefined ? { groups: groups.mode, groupsReread } : {}),
          ...(roles !== undefined ? { rolesReread, applications: roles.applications } : {})
        }
        let groupRoles: GroupRoles | undefined
        if (!general.app_roles) {
          for await (const p of mapOrdered([...next.values()], general.max_concurrency, refresh)) {
            const out = forMapper(p, general, undefined, next)
            if (out !== undefined) yield out
            else info.excluded = (info.excluded ?? 0) + 1
          }
        } else {
          // Roles through groups need every user's own roles and the groups' assignments first.
          for await (const p of mapOrdered([...next.values()], general.max_concurrency, refresh)) void p
          const live = roles?.live ?? await readApplications(graph, await trackedResources(read, usersResources(next), { configured: general.app_role_resources, log }, sig), general.max_concurrency, sig)
          const known = membersAfterRound(mirror?.groupRoles ?? new Map(), groups)
          const updated = await updateGroupRoles(graph, read, { stored: mirror?.groupRoles ?? new Map(), known, live, concurrency: general.max_concurrency }, sig)
          groupRoles = updated.groups
          deriveRoles(next, groupRoles)
          Object.assign(info, { applications: live.size, groupRoles: groupRoles.size, groupMembersRead: updated.membersRead })
          const apps = await roleApps(read, live.keys(), sig)
          for (const p of next.values()) {
            const out = forMapper(p, general, apps, next)
            if (out !== undefined) yield out
            else info.excluded = (info.excluded ?? 0) + 1
          }
        }
        await store.save({ deltaLink: round.deltaLink, ...(groups !== undefined ? { groupsDeltaLink: groups.deltaLink } : {}), fingerprint, persons: next, ...(groupRoles !== undefined ? { groupRoles } : {}) })
        initialLoadPending = false
        complete = round.malformed === 0
        const also = (mode === 'delta' ? `, groups re-read for ${groupsReread} (${groups?.mode ?? 'off'}), roles re-read for ${rolesReread} (${roles?.applications ?? 0} applications compared)` : '') +
          (info.groupRoles !== undefined ? `, ${info.groupRoles} groups with app roles (members read for ${info.groupMembersRead ?? 0})` : '')
        log.info(`Entra ${mode} read: ${info.users} users, ${info.changed} in the delta round, ${removed} removed${also}${fullReason !== undefined && mode === 'full' ? ` (full: ${fullReason})` : ''}`, { requests: graph.requests })
      } finally {
        ctl.abort()
      }
    }

    return { persons: persons(), complete: () => complete, info: () => info }
  }

  return {
    config,
    auth,
    graph,
    stream,
    async collect (signal) {
      const s = stream(signal)
      const persons: JsonObject[] = []
      for await (const p of s.persons) persons.push(p)
      return { persons, complete: s.complete(), info: s.info() }
    }
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
  if (deltaLink === undefined) throw new GraphHttpError('the users/delta round ended without @odata.deltaLink')
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
