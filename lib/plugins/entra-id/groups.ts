// Groups and memberships of plugin-entra-id: get by id / displayName (eq, startswith pushed down) /
// members.value (the member's memberOf), members read page by page — the first page of up to 20
// groups in one $batch —, create (POST, first 20 members as members@odata.bind), PATCH, delete, and
// member deltas (capabilities.groupMemberDelta) as POST members/$ref and DELETE members/{id}/$ref
// sent 20 per $batch, the group's existence checked in the same batch.
import { ScimError } from '../../scim/errors.ts'
import type { GetQuery, GetResult, JsonObject, MemberDelta, Modification, ScimResource } from '../types.ts'
import { Graph, listOf, odataFilter, type BatchItem } from './graph.ts'
import { GROUP_SELECT, groupToGraph, groupToScim } from './map.ts'
import { blankId, enc } from './users.ts'

type Obj = Record<string, unknown>
const REF = 'https://graph.microsoft.com/v1.0/directoryObjects/'

export class Groups {
  constructor (private readonly graph: Graph, private readonly pageSize: number) {}

  async get (q: GetQuery, signal: AbortSignal): Promise<GetResult> {
    const s = q.simple
    const attr = s?.attribute.toLowerCase()
    const noMembers = q.excludedAttributes.some(a => a.toLowerCase() === 'members')
    let groups: Obj[]
    if (s !== undefined && attr === 'id' && s.operator === 'eq') {
      if (blankId(s.value)) return { Resources: [] }
      const g = await this.graph.find(`/groups/${enc(s.value)}`, GROUP_SELECT, signal)
      groups = g !== undefined ? [g] : []
    } else if (s !== undefined && attr === 'members.value' && s.operator === 'eq') {
      groups = await this.memberOf(s.value, signal)
    } else {
      const filter = s !== undefined && attr === 'displayname' ? odataFilter('displayName', s.operator, s.value) : undefined
      groups = await this.graph.list('/groups', { $select: GROUP_SELECT, ...(filter !== undefined ? { $filter: filter } : {}) }, signal)
    }
    if (noMembers) return { Resources: groups.map(g => groupToScim(g, undefined)) }
    const members = await this.members(groups.map(g => String(g.id)), signal)
    return { Resources: groups.map((g, i) => groupToScim(g, members[i])) }
  }

  /** The groups an object (user or group) is a direct member of. */
  private async memberOf (id: string, signal: AbortSignal): Promise<Obj[]> {
    if (blankId(id)) return []
    for (const kind of ['users', 'groups']) {
      try {
        const all = await this.graph.list(`/${kind}/${enc(id)}/memberOf`, { $select: GROUP_SELECT }, signal)
        return all.filter(e => e['@odata.type'] === undefined || e['@odata.type'] === '#microsoft.graph.group')
      } catch (e) {
        if (!(e instanceof ScimError && e.status === 404)) throw e
      }
    }
    return []
  }

  /** Members of each group: first pages in $batch (20 groups per POST), further pages by nextLink. */
  async members (ids: string[], signal: AbortSignal): Promise<JsonObject[][]> {
    const res = await this.graph.batch(ids.map(id => ({ method: 'GET', url: `/groups/${enc(id)}/members?$select=id,displayName&$top=${this.pageSize}` })), signal)
    return await Promise.all(res.map(async (r, i) => {
      Graph.check(r, `GET /groups/${ids[i] ?? ''}/members`)
      let list = listOf(r.body)
      const next = (r.body as Obj | undefined)?.['@odata.nextLink']
      if (typeof next === 'string') list = list.concat(await this.graph.list(next, {}, signal))
      return list.map(m => ({ value: String(m.id), display: String(m.displayName ?? ''), type: m['@odata.type'] === '#microsoft.graph.group' ? 'Group' : 'User' }))
    }))
  }

  async create (r: ScimResource, signal: AbortSignal): Promise<ScimResource> {
    if (typeof r.displayName !== 'string' || r.displayName === '') throw new ScimError(400, 'invalidValue', 'displayName is required')
    const ids = memberValues(r.members)
    const body = { ...groupToGraph(r, true), ...(ids.length > 0 ? { 'members@odata.bind': ids.slice(0, 20).map(id => REF + enc(id)) } : {}) }
    let created: Obj
    try {
      created = await this.graph.call('POST', '/groups', { body, signal })
    } catch (e) {
      if (e instanceof ScimError && e.status === 404) throw new ScimError(400, 'invalidValue', `a member does not exist in the directory: ${e.detail ?? ''}`, { cause: e })
      throw e
    }
    const id = String(created.id)
    if (ids.length > 20) await this.applyDelta(id, { add: ids.slice(20).map(value => ({ value })), remove: [] }, signal, false)
    return groupToScim(created, ids.map(value => ({ value })))
  }

  async modify (id: string, mod: Modification, signal: AbortSignal): Promise<undefined> {
    if (blankId(id)) throw new ScimError(404, undefined, `group ${JSON.stringify(id)} not found`)
    if (mod.members !== undefined) { await this.applyDelta(id, mod.members, signal, true); return undefined }
    await this.graph.call('PATCH', `/groups/${enc(id)}`, { body: groupToGraph(mod.resource, false), signal })
    // the new state is whole: members are compared unless the changes name only other attributes
    if (mod.operations.length === 0 || mod.operations.some(op => op.path === undefined || op.path.toLowerCase().startsWith('members'))) {
      const [current = []] = await this.members([id], signal)
      const want = new Set(memberValues(mod.resource.members).map(v => v.toLowerCase()))
      const have = new Set(current.map(m => String(m.value).toLowerCase()))
      await this.applyDelta(id, {
        add: memberValues(mod.resource.members).filter(v => !have.has(v.toLowerCase())).map(value => ({ value })),
        remove: current.map(m => String(m.value)).filter(v => !want.has(v.toLowerCase()))
      }, signal, false)
    }
    return undefined
  }

  async delete (id: string, signal: AbortSignal): Promise<void> {
    if (blankId(id)) throw new ScimError(404, undefined, `group ${JSON.stringify(id)} not found`)
    await this.graph.call('DELETE', `/groups/${enc(id)}`, { signal })
  }

  /**
   * Adds and removes members through $batch. Adding a member already there and removing one that is
   * not are no-ops (SCIM delta semantics); an unknown member to add is a 400. `check`: the group's
   * existence is read in the first batch (404 when it is not there).
   */
  private async applyDelta (id: string, delta: MemberDelta, signal: AbortSignal, check: boolean): Promise<void> {
    const items: BatchItem[] = []
    if (check) items.push({ method: 'GET', url: `/groups/${enc(id)}?$select=id` })
    // Graph object ids are lower-case GUIDs; SCIM compares member values case-insensitively
    const adds = [...new Set(delta.add.map(m => String(m.value).toLowerCase()))]
    // remove-then-add of one value leaves it a member: only the add goes out, so batch order never matters
    const removes = [...new Set(delta.remove.map(v => v.toLowerCase()))].filter(v => !adds.includes(v))
    for (const m of removes) items.push({ method: 'DELETE', url: `/groups/${enc(id)}/members/${enc(m)}/$ref` })
    for (const m of adds) items.push({ method: 'POST', url: `/groups/${enc(id)}/members/$ref`, body: { '@odata.id': REF + enc(m) } })
    if (items.length === 0) return
    const res = await this.graph.batch(items, signal)
    if (check && res[0] !== undefined) Graph.check(res[0], `GET /groups/${id}`)
    res.forEach((r, i) => {
      const item = items[i]
      if (item === undefined || r.status < 300 || (check && i === 0)) return
      const text = JSON.stringify(r.body ?? '')
      if (item.method === 'POST' && r.status === 400 && /already exist/i.test(text)) return
      if (item.method === 'DELETE' && (r.status === 404 || /invalid object identifier/i.test(text))) return
      if (item.method === 'POST' && (r.status === 404 || (r.status === 400 && /invalid object identifier/i.test(text)))) throw new ScimError(400, 'invalidValue', `member ${JSON.stringify((item.body as Obj)['@odata.id'])} does not exist in the directory`)
      Graph.check(r, `${item.method} ${item.url}`)
    })
  }
}

function memberValues (v: unknown): string[] {
  if (!Array.isArray(v)) return []
  return v.map(m => typeof m === 'object' && m !== null ? (m as Obj).value : undefined).filter((x): x is string => typeof x === 'string' && x !== '')
}
