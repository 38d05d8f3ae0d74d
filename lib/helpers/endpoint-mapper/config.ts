// The `map` section of a plugin's endpoint config, in scimgateway's documented shape:
//   "map": { "user":  { "<endpoint attribute>": { "mapTo": "<SCIM path>[,<SCIM path>…]", "type": "string", "valueMap": { "<endpoint value>": "<SCIM value>" } } },
//            "group": { … } }
// declared with the config schema toolkit so mistakes join the one ConfigError with their paths.
import * as s from '../../config/schema.ts'
import { formatPath } from '../../config/path.ts'

/** How the endpoint holds the value. 'array': a list (multi-valued on the SCIM side too). */
export type MapType = 'string' | 'boolean' | 'integer' | 'number' | 'array'

export interface MapEntry {
  /** SCIM attribute path(s), comma-separated: `userName`, `name.givenName`, `emails.work`, `groups.value`, `urn:…:User.employeeNumber`. */
  mapTo: string
  type: MapType
  /**
   * Endpoint value → SCIM value. Also an allowlist: endpoint values not listed are invisible to SCIM
   * clients, and SCIM values not listed are refused on write (400).
   */
  valueMap?: Record<string, string>
}

export interface MapConfig {
  user?: Record<string, MapEntry>
  group?: Record<string, MapEntry>
}

/** scimgateway's MCP agent schema option: refused wherever it appears, never silently kept. */
const AGENT_SCHEMA = 'not supported by this gateway (MCP agent schemas); remove it'

const entry = s.object({
  mapTo: s.string({ minLength: 1 }).describe('SCIM attribute path(s), comma-separated'),
  type: s.enumOf(['string', 'boolean', 'integer', 'number', 'array']).default('string'),
  valueMap: s.record(s.string()).optional().describe('endpoint value → SCIM value; also an allowlist'),
  'x-agent-schema': s.json().optional()
}).refine((e, report) => {
  if (e['x-agent-schema'] !== undefined) report(AGENT_SCHEMA, ['x-agent-schema'])
  const targets = e.mapTo.split(',').map(t => t.trim())
  targets.forEach((t, i) => { if (t === '') report(`target ${i + 1} is empty`, ['mapTo']) })
  if (e.valueMap !== undefined) {
    const seen = new Map<string, string>()
    for (const [from, to] of Object.entries(e.valueMap)) {
      const other = seen.get(to.toLowerCase())
      if (other !== undefined) report(`${JSON.stringify(other)} and ${JSON.stringify(from)} both map to ${JSON.stringify(to)}: a write of ${JSON.stringify(to)} would be ambiguous`, ['valueMap', from])
      seen.set(to.toLowerCase(), from)
    }
    if (e.type === 'boolean') report('a valueMap needs type string, integer, number or array', ['valueMap'])
  }
})

const entries = s.record(entry)
/** A kind's entries; scimgateway's MCP `x-agent-schema` is refused with one clear message. */
const kind = new s.Schema<Record<string, s.Infer<typeof entry>>>('object', entries.expected, (v, path, ctx) => {
  let value = v
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, 'x-agent-schema')) {
    ctx.issues.push({ path: formatPath([...path, 'x-agent-schema']), message: AGENT_SCHEMA })
    value = Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'x-agent-schema'))
  }
  const r = entries.run(value, path, ctx)
  return r === undefined ? {} : r
}, 'required')

/**
 * Schema of `endpoint.map` (put it in your endpoint schema: `top: { map: mapSchema.optional() }`).
 * @example
 * validate(mapSchema, { group: { displayName: { mapTo: 'displayName', type: 'string', valueMap: { Employees: 'Admins' } } } })
 */
export const mapSchema: s.Schema<MapConfig> = s.object({
  user: kind.optional(),
  group: kind.optional(),
  'x-agent-schema': s.json().optional()
}).refine((m, report) => { if (m['x-agent-schema'] !== undefined) report(AGENT_SCHEMA, ['x-agent-schema']) }) as unknown as s.Schema<MapConfig>
