// SCIM filter → LDAP filter (RFC 4515). eq/sw/co/ew/pr on mapped attributes, and/or, valuePaths,
// id, memberships and `active` (userAccountControl bit test) are pushed down; every value is
// escaped, so `*()\` and NUL in a filter value stay data. What cannot be expressed exactly (ne,
// ordering, not, unknown parts of an and/or) widens the LDAP filter — the gateway re-applies the
// full SCIM filter to what comes back, so a wider LDAP filter costs time, never correctness.
import type { FilterNode } from '../../scim/filter/ast.ts'
import { ldapAttrsFor, type Mapping } from './mapping.ts'
import { escapeFilterValue } from './values.ts'

/** Matches no entry (an attribute that is not mapped can never match). */
export const NOTHING = '(!(objectClass=*))'

export interface FilterEnv {
  mapping: Mapping
  /** `(attr=value)` for an id, NOTHING for an id that cannot exist, undefined when ids are DNs. */
  idClause: (value: string) => string | undefined
  /** Resolves the DN behind a membership value (a group id for users, a member id for groups). */
  membershipDn: (value: string) => Promise<string | undefined>
}

type Out = string | undefined

/** The LDAP filter for a SCIM filter; undefined = no restriction could be derived (list all). */
export async function toLdapFilter (node: FilterNode, env: FilterEnv): Promise<Out> {
  switch (node.type) {
    case 'and': {
      const [l, r] = await Promise.all([toLdapFilter(node.left, env), toLdapFilter(node.right, env)])
      if (l === NOTHING || r === NOTHING) return NOTHING
      if (l === undefined) return r
      if (r === undefined) return l
      return `(&${l}${r})`
    }
    case 'or': {
      const [l, r] = await Promise.all([toLdapFilter(node.left, env), toLdapFilter(node.right, env)])
      if (l === undefined || r === undefined) return undefined
      if (l === NOTHING) return r
      if (r === NOTHING) return l
      return `(|${l}${r})`
    }
    case 'not':
      return undefined
    case 'valuePath':
      return await toLdapFilter(relativeTo(node.filter, node.path.attr, node.path.uri), env)
    case 'present':
      return await leaf(node.path.attr, node.path.sub, node.path.uri, 'pr', '', env)
    case 'compare':
      if (node.value === null) return undefined
      if (node.op !== 'eq' && node.op !== 'sw' && node.op !== 'co' && node.op !== 'ew') return undefined
      return await leaf(node.path.attr, node.path.sub, node.path.uri, node.op, String(node.value), env)
  }
}

/** Paths inside a valuePath (`emails[value eq "x"]`) made absolute (`emails.value eq "x"`). */
function relativeTo (n: FilterNode, attr: string, uri: string | undefined): FilterNode {
  switch (n.type) {
    case 'and': case 'or': return { ...n, left: relativeTo(n.left, attr, uri), right: relativeTo(n.right, attr, uri) }
    case 'not': return { ...n, expr: relativeTo(n.expr, attr, uri) }
    case 'valuePath': return n
    case 'present': case 'compare': {
      const path = uri !== undefined ? { uri, attr, sub: n.path.attr } : { attr, sub: n.path.attr }
      // `type eq "work"` says nothing about the LDAP entry: drop it (wider)
      if (n.path.attr.toLowerCase() === 'type' || n.path.attr.toLowerCase() === 'primary') return { type: 'not', expr: n }
      return { ...n, path }
    }
  }
}

async function leaf (attr: string, sub: string | undefined, uri: string | undefined, op: 'eq' | 'sw' | 'co' | 'ew' | 'pr', value: string, env: FilterEnv): Promise<Out> {
  const a = attr.toLowerCase()
  if (a === 'meta' || a === 'schemas') return undefined
  if (a === 'id' && sub === undefined) {
    if (op === 'pr') return '(objectClass=*)'
    return op === 'eq' ? env.idClause(value) : undefined
  }
  const fields = ldapAttrsFor(env.mapping, attr, sub, uri)
  if (fields.length === 0) return NOTHING
  const parts: string[] = []
  for (const f of fields) {
    if (f.kind === 'password') return NOTHING // never readable, never matches
    if (f.kind === 'id') return op === 'eq' ? env.idClause(value) : undefined
    if (f.kind === 'membership') {
      if (op === 'pr') { parts.push(`(${f.ldap}=*)`); continue }
      if (op !== 'eq') return undefined
      const dn = await env.membershipDn(value)
      if (dn === undefined) continue
      parts.push(`(${f.ldap}=${escapeFilterValue(dn)})`)
      continue
    }
    if (f.kind === 'active') {
      if (op === 'pr') { parts.push(`(${f.ldap}=*)`); continue }
      if (op !== 'eq') return undefined
      const v = value.toLowerCase()
      if (v !== 'true' && v !== 'false') return NOTHING
      // LDAP_MATCHING_RULE_BIT_AND (AD and OpenLDAP): ACCOUNTDISABLE set?
      const disabled = `(${f.ldap}:1.2.840.113556.1.4.803:=2)`
      parts.push(v === 'true' ? `(!${disabled})` : disabled)
      continue
    }
    if (f.type === 'binary') return undefined
    if (f.type === 'boolean') {
      if (op === 'pr') { parts.push(`(${f.ldap}=*)`); continue }
      if (op !== 'eq') return undefined
      parts.push(`(${f.ldap}=${value.toLowerCase() === 'true' ? 'TRUE' : 'FALSE'})`)
      continue
    }
    const v = escapeFilterValue(value)
    if (op === 'pr' || (v === '' && op !== 'eq')) parts.push(`(${f.ldap}=*)`)
    else if (op === 'eq') parts.push(`(${f.ldap}=${v})`)
    else if (op === 'sw') parts.push(`(${f.ldap}=${v}*)`)
    else if (op === 'ew') parts.push(`(${f.ldap}=*${v})`)
    else parts.push(`(${f.ldap}=*${v}*)`)
  }
  if (parts.length === 0) return NOTHING
  return parts.length === 1 ? parts[0] : `(|${parts.join('')})`
}
