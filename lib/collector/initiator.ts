// Who initiated a change, per person: a collector that knows it (Entra: the directory audit log's
// initiatedBy) puts `@initiatedBy: { id, upn }` on the person; otherwise the service is the initiator
// (`scim-stream`). The same values are the message's initiatedById/initiatedByUpn and what stream
// rules on initiatedByUpn / initiatedById see. Also the rule message with the (unpublished)
// Enterprise application names by object id (`@roleApps`) for `user.roles.<object id>` rules, and
// the groups' object ids by value (`@groupIds`) for `user.groups.value -match "<object id>"` rules.
import { isJsonObject, type JsonObject, type JsonValue } from '../scim/types.ts'
import type { Initiator } from './message.ts'
import { GROUP_IDS_KEY, ROLE_APPS_KEY, type RuleMessage } from './rules/index.ts'

/** Person key a collector sets to name the initiator of the person's latest change. */
export const INITIATOR_KEY = '@initiatedBy'

/** The person's initiator, or `fallback`. */
export function initiatorOf (person: JsonObject, fallback: Initiator): Initiator {
  const v = person[INITIATOR_KEY]
  if (!isJsonObject((v ?? null) as JsonValue)) return fallback
  const o = v as JsonObject
  const id = typeof o.id === 'string' && o.id !== '' ? o.id : undefined
  const upn = typeof o.upn === 'string' && o.upn !== '' ? o.upn : undefined
  if (id === undefined && upn === undefined) return fallback
  return { id: id ?? upn ?? fallback.id, upn: upn ?? id ?? fallback.upn }
}

/** What the stream rules see for a person: the user, the initiator fields and `@roleApps`. */
export function ruleMessage (user: JsonObject, by: Initiator, person: JsonObject): RuleMessage {
  const msg: RuleMessage = { user, initiatedById: by.id, initiatedByUpn: by.upn }
  const apps = person[ROLE_APPS_KEY]
  if (isJsonObject((apps ?? null) as JsonValue)) msg[ROLE_APPS_KEY] = apps as JsonObject
  const groupIds = person[GROUP_IDS_KEY]
  if (isJsonObject((groupIds ?? null) as JsonValue)) msg[GROUP_IDS_KEY] = groupIds as JsonObject
  return msg
}
