// Turns filter trees and paths back into SCIM text. The output is canonical (lower-case keywords,
// JSON-quoted strings, minimal parentheses) and parses back to the same tree with parseFilter.
import type { AttrPath, FilterNode, FilterValue, PatchPath } from './ast.ts'

/**
 * Writes a filter tree as SCIM filter text; `parseFilter(filterToString(t))` equals `t`.
 * @example filterToString(parseFilter('USERNAME Eq bjensen')) // 'USERNAME eq "bjensen"'
 */
export function filterToString (node: FilterNode): string {
  switch (node.type) {
    case 'compare': return `${attrPathToString(node.path)} ${node.op} ${valueToString(node.value)}`
    case 'present': return `${attrPathToString(node.path)} pr`
    case 'not': return `not (${filterToString(node.expr)})`
    case 'valuePath': return `${attrPathToString(node.path)}[${filterToString(node.filter)}]`
    case 'and':
    case 'or': {
      // walk the left spine iteratively: parsed chains are left-deep and can be long
      const rights: FilterNode[] = []
      let n: FilterNode = node
      while (n.type === node.type) { rights.push(n.right); n = n.left }
      const parts = [wrap(n, node.type === 'and' && n.type === 'or')]
      for (let i = rights.length - 1; i >= 0; i--) {
        const r = rights[i] as FilterNode
        parts.push(wrap(r, r.type === 'or' || r.type === node.type))
      }
      return parts.join(` ${node.type} `)
    }
  }
}

function wrap (n: FilterNode, parens: boolean): string {
  const s = filterToString(n)
  return parens ? `(${s})` : s
}

/** `[uri:]attr[.sub]`; a whole-extension path (`attr === ''`) is just its URN. */
export function attrPathToString (p: AttrPath): string {
  if (p.attr === '') return p.uri ?? ''
  const name = p.sub === undefined ? p.attr : `${p.attr}.${p.sub}`
  return p.uri === undefined ? name : `${p.uri}:${name}`
}

/** A PATCH path as text: `attr[filter].sub`. */
export function patchPathToString (p: PatchPath): string {
  let s = attrPathToString(p.path)
  if (p.filter !== undefined) s += `[${filterToString(p.filter)}]`
  if (p.subAttr !== undefined) s += `.${p.subAttr}`
  return s
}

/** A comparison value as filter text: JSON for strings, numbers, booleans and null. */
export function valueToString (v: FilterValue): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v)
  return String(v)
}
