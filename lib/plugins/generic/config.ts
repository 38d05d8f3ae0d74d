// The `endpoint` section of config/plugin-generic.json (scimgateway's plugin-generic shape):
// `entity.<baseEntity>` = { scimVersion of the target, connection (lib/helpers/rest) } and an optional
// `map` (endpointMapper). Declared with
// the SDK so every problem joins the one ConfigError with its path.
import { connectionSchema } from '../../helpers/rest/config.ts'
import { endpointSchema, s, type EndpointOf } from '../sdk/index.ts'
import { mapSchema } from '../../helpers/endpoint-mapper/index.ts'

const entityShape = {
  /** SCIM version the TARGET speaks; the gateway's own clients use scimgateway.scim.version. */
  scimVersion: s.enumOf(['2.0', '1.1'] as const).default('2.0').describe('SCIM version of the target server'),
  connection: connectionSchema.refine((c, report) => {
    if (c.baseUrls.length === 0) report('needs at least one base URL of the target SCIM server', ['baseUrls'])
  })
}

const topShape = {
  /** scimgateway's endpointMapper map (`map.user` / `map.group`); absent = one-to-one SCIM. */
  map: mapSchema.optional()
}

export const genericEndpointSchema = endpointSchema({ top: topShape, entity: entityShape, requireEntity: true })

export type GenericEndpoint = EndpointOf<typeof topShape, typeof entityShape>
export type GenericEntity = GenericEndpoint['entity'][string]
