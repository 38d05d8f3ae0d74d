// Small builders that keep schema definitions readable: RFC 7643 defaults filled in, overrides named.
import type { AttributeDef, AttributeType } from '../types.ts'

type Opts = Partial<Omit<AttributeDef, 'name' | 'type' | 'subAttributes'>>

export function attr (name: string, type: AttributeType, opts: Opts = {}, subAttributes?: AttributeDef[]): AttributeDef {
  const def: AttributeDef = {
    name,
    type,
    multiValued: opts.multiValued ?? false,
    description: opts.description ?? '',
    required: opts.required ?? false,
    caseExact: opts.caseExact ?? false,
    mutability: opts.mutability ?? 'readWrite',
    returned: opts.returned ?? 'default',
    uniqueness: opts.uniqueness ?? 'none'
  }
  if (opts.canonicalValues !== undefined) def.canonicalValues = opts.canonicalValues
  if (opts.referenceTypes !== undefined) def.referenceTypes = opts.referenceTypes
  if (subAttributes !== undefined) def.subAttributes = subAttributes
  return def
}

export const str = (name: string, opts: Opts = {}): AttributeDef => attr(name, 'string', opts)
export const bool = (name: string, opts: Opts = {}): AttributeDef => attr(name, 'boolean', opts)
export const complex = (name: string, subs: AttributeDef[], opts: Opts = {}): AttributeDef => attr(name, 'complex', opts, subs)

/** The standard sub-attributes of a multi-valued attribute (value, display, type, primary). */
export function multi (name: string, valueType: AttributeType = 'string', typeValues?: string[], extra: AttributeDef[] = [], opts: Opts = {}): AttributeDef {
  const subs: AttributeDef[] = [
    attr('value', valueType, {}),
    str('display'),
    str('type', typeValues !== undefined ? { canonicalValues: typeValues } : {}),
    bool('primary'),
    ...extra
  ]
  return complex(name, subs, { multiValued: true, ...opts })
}
