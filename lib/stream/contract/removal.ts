// Removal operations of groups and roles, in the one shape deployed subscribers apply (measured
// against scimgateway v6, which ignores the filter form `groups[value eq "G"]`):
//   groups: {"op":"remove","path":"groups","value":[{"value":"G","display":"G","id":"G"}, …]}
//           (one element per group; v6 reads `id`)
//   roles:  {"op":"remove","path":"roles","value":[{"type":"App","display":"Name","value":"R"}]}
//           (one op per role)
// Subscribers of ours read these and the filter form as "remove these elements", never "remove all".
import type { JsonObject } from '../../scim/types.ts'

/** A removal operation (plain JSON, also a StreamOperation). */
export interface RemovalOp extends JsonObject { op: 'remove', path: 'groups' | 'roles', value: JsonObject[] }

/** A group as a removal names it. */
export interface GroupElement { value: string, display: string }
/** A role as a removal names it. */
export interface RoleElement { type?: string, display?: string, value: string }

/**
 * The removal of groups: one op, one element per group (`{value, display, id}`, id = value).
 * @example groupRemovalOp([{ value: 'Sales', display: 'Sales' }])
 * // {op:'remove', path:'groups', value:[{value:'Sales', display:'Sales', id:'Sales'}]}
 */
export function groupRemovalOp (groups: readonly GroupElement[]): RemovalOp {
  return { op: 'remove', path: 'groups', value: groups.map(g => ({ value: g.value, display: g.display, id: g.value })) }
}

/**
 * The removal of one role (`{type, display, value}` as the message had it).
 * @example roleRemovalOp({ type: 'CRM', display: 'Admin', value: 'r1' })
 */
export function roleRemovalOp (role: RoleElement): RemovalOp {
  const el: JsonObject = {}
  if (role.type !== undefined) el.type = role.type
  if (role.display !== undefined) el.display = role.display
  el.value = role.value
  return { op: 'remove', path: 'roles', value: [el] }
}
