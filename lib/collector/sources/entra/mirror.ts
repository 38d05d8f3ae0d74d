// The Entra collector's own state per tenant: the `@odata.deltaLink` of the last completed delta round
// and the users as they were collected then (with their groups and roles), so that an incremental run
// can hand the pipeline the whole, current set of users (the mirror with the delta applied) as a
// *complete* collection: unchanged users compare equal to the published state, changed ones become
// modifyUser, users Graph reported `@removed` are simply absent and so become deleteUser.
//
// File: `<state dir>/<tenant>.entra.jsonl` — line 1 the header `{"v":1,"deltaLink","groupsDeltaLink",
// "fingerprint"}` (groupsDeltaLink absent with group_membership none), then one user per line (with
// `@assignments` and `@directRoles`, its own app role assignments and the roles they name, when app
// roles are read), then one line per group that carries app roles (`{"@group": id, assignments,
// roles, members}`, group-roles.ts). Written to a temp file and renamed, so a crash leaves the
// previous round (whose delta link Graph accepts again: the next run replays the changes since then).
import { createReadStream } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { JsonObject } from '../../../scim/types.ts'
import type { GroupRoleState } from './group-roles.ts'

/** The state of the last completed delta round. */
export interface Mirror {
  deltaLink: string
  /** The `@odata.deltaLink` of the last groups/delta round (membership changes); absent when not tracked. */
  groupsDeltaLink?: string
  /** What the users were collected with (select, memberships, Graph host); another one = full read. */
  fingerprint: string
  /** Users by Graph id, in collection order. */
  persons: Map<string, JsonObject>
  /** Groups that carry app roles, by group id (absent without app roles). */
  groupRoles?: Map<string, GroupRoleState>
}

/** Where the mirror is kept. */
export interface MirrorStore {
  load (): Promise<Mirror | undefined>
  save (m: Mirror): Promise<void>
  /** Human-readable location (logs). */
  readonly where: string
}

/**
 * A mirror in `<dir>/<tenant>.entra.jsonl`. An unreadable file counts as absent (full read).
 * @example const store = fileMirrorStore('/var/lib/scim-stream/state', 'contoso')
 */
export function fileMirrorStore (dir: string, tenant: string): MirrorStore {
  const file = join(dir, `${tenant}.entra.jsonl`)
  return {
    where: file,
    async load () {
      const persons = new Map<string, JsonObject>()
      const groupRoles = new Map<string, GroupRoleState>()
      let header: { v?: unknown, deltaLink?: unknown, groupsDeltaLink?: unknown, fingerprint?: unknown } | undefined
      try {
        const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity })
        for await (const line of rl) {
          if (line === '') continue
          const v = JSON.parse(line) as JsonObject
          if (header === undefined) { header = v; continue }
          if (typeof v['@group'] === 'string') {
            const { '@group': id, ...state } = v
            groupRoles.set(id as string, state as unknown as GroupRoleState)
          } else if (typeof v.id === 'string') persons.set(v.id, v)
        }
      } catch {
        return undefined // missing or torn: a full read rebuilds it
      }
      if (header?.v !== 1 || typeof header.deltaLink !== 'string' || typeof header.fingerprint !== 'string') return undefined
      return { deltaLink: header.deltaLink, ...(typeof header.groupsDeltaLink === 'string' ? { groupsDeltaLink: header.groupsDeltaLink } : {}), fingerprint: header.fingerprint, persons, ...(groupRoles.size > 0 ? { groupRoles } : {}) }
    },
    async save (m) {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const tmp = `${file}.${process.pid}.tmp`
      const lines = [JSON.stringify({ v: 1, deltaLink: m.deltaLink, ...(m.groupsDeltaLink !== undefined ? { groupsDeltaLink: m.groupsDeltaLink } : {}), fingerprint: m.fingerprint })]
      for (const p of m.persons.values()) lines.push(JSON.stringify(p))
      for (const [id, g] of m.groupRoles ?? []) lines.push(JSON.stringify({ '@group': id, ...g }))
      try {
        await writeFile(tmp, `${lines.join('\n')}\n`, { mode: 0o600 })
        await rename(tmp, file)
      } catch (err) {
        await rm(tmp, { force: true })
        throw err
      }
    }
  }
}

/** A mirror held in memory only (no state directory): lost on restart, then one full read. */
export function memoryMirrorStore (): MirrorStore {
  let kept: Mirror | undefined
  return {
    where: 'memory',
    async load () { return kept === undefined ? undefined : { ...kept, persons: new Map(kept.persons), ...(kept.groupRoles !== undefined ? { groupRoles: new Map(kept.groupRoles) } : {}) } },
    async save (m) { kept = { ...m, persons: new Map(m.persons), ...(m.groupRoles !== undefined ? { groupRoles: new Map(m.groupRoles) } : {}) } }
  }
}
