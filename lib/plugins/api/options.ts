// The `endpoint` section of config/plugin-api.json: per baseEntity either an in-memory demo
// collection (no `upstream`) or an upstream REST API the `/api` routes are forwarded to; plus the
// catalog `/pub/api?model=…` answers from without authentication.
import { endpointSchema, NO_BASE_ENTITY, s } from '../sdk/index.ts'

const upstream = s.object({
  baseUrl: s.string({ pattern: /^https?:\/\/\S+$/, patternName: 'http(s) URL' }),
  headers: s.record(s.string()).optional().describe('sent with every forwarded request (e.g. an API key)'),
  timeoutMs: s.integer({ min: 1 }).default(10_000)
})

export const apiEndpointSchema = endpointSchema({
  top: {
    /** Public catalog: model name → description object. */
    catalog: s.record(s.jsonObject()).default({})
  },
  entity: { upstream: upstream.optional() }
})

export type ApiEndpoint = s.Infer<typeof apiEndpointSchema>
export type ApiEntity = ApiEndpoint['entity'][string]

/** The entities a config serves: without `entity`, only requests without a baseEntity (in-memory). */
export function apiEntities (e: ApiEndpoint): Record<string, ApiEntity> {
  return Object.keys(e.entity).length > 0 ? e.entity : { [NO_BASE_ENTITY]: {} }
}
