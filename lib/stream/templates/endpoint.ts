// The TemplateEndpoint of GetUniqueValue/Increment backed by the gateway's ScimService, i.e. by the
// plugin's getUsers with the service's filter semantics (SCIM `eq`: case-insensitive for userName
// and emails, as the schema says).
import type { ScimService } from '../../core/service.ts'
import type { RequestContext } from '../../core/context.ts'
import type { FilterNode } from '../../scim/filter/ast.ts'
import { parseFilter } from '../../scim/filter/index.ts'
import { isJsonObject, type JsonValue } from '../../scim/types.ts'
import type { TemplateEndpoint } from './evaluate.ts'
import { readPath, type TemplateValue } from './evaluate.ts'

/** Page size when Increment reads every value of an attribute. */
const PAGE = 500

/**
 * Endpoint lookups through the service. `selfId` is the endpoint id of the user being applied (on
 * update), which never counts as "taken".
 * @example const ep = serviceTemplateEndpoint(service, rc, existing?.id)
 */
export function serviceTemplateEndpoint (service: ScimService, rc: RequestContext, selfId?: string): TemplateEndpoint {
  return {
    async isTaken (attribute, value) {
      const filter = parseFilter(`${attribute} eq ${JSON.stringify(value)}`)
      const res = await service.list('Users', { filter, startIndex: 1, count: 2, attributes: [], excludedAttributes: [] }, rc)
      return res.Resources.some(r => r.id !== selfId)
    },
    async valuesOf (attribute) {
      const filter: FilterNode = parseFilter(`${attribute} pr`)
      const out: string[] = []
      for (let start = 1; ; start += PAGE) {
        const res = await service.list('Users', { filter, startIndex: start, count: PAGE, attributes: [], excludedAttributes: [] }, rc)
        for (const r of res.Resources) collect(readPath(r, attribute), out)
        if (res.Resources.length === 0 || start + res.Resources.length > res.totalResults) break
      }
      return out
    }
  }
}

function collect (v: TemplateValue | JsonValue, out: string[]): void {
  if (Array.isArray(v)) for (const x of v) collect(x, out)
  else if (typeof v === 'string' || typeof v === 'number') out.push(String(v))
  else if (isJsonObject(v) && v.value !== undefined) collect(v.value, out)
}
