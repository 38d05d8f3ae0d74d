// /Schemas, /ResourceTypes and /ServiceProviderConfig(s) (alias /serviceConfiguration): read-only
// documents generated from the schema definitions.
import { NotFoundError, ScimError } from '../../scim/errors.ts'
import {
  resourceTypeDocument, resourceTypeListResponse, schemaDocument, schemaListResponse, serviceProviderConfig,
  type AuthenticationScheme
} from '../../scim/schema/discovery.ts'
import type { ResourceTypeDef, SchemaDef } from '../../scim/types.ts'
import { CORE_RESOURCE_TYPES } from '../../scim/schema/definitions.ts'
import type { RequestContext } from '../context.ts'
import type { RouteResource } from '../route-path.ts'
import { jsonResponse } from './respond.ts'

export interface DiscoveryRouteOptions {
  bulk: { maxOperations: number, maxPayloadSize: number }
  maxResults: number
  authenticationSchemes: AuthenticationScheme[]
  /** The plugin's own schemas (endpointMapper); default: the core ones. */
  schemas?: readonly SchemaDef[] | undefined
}

export function handleDiscovery (resource: RouteResource, id: string | undefined, method: string, opts: DiscoveryRouteOptions, rc: RequestContext): Response {
  if (method !== 'GET') throw new ScimError(405, undefined, `${method} is not allowed on /${resource}`)
  const d = { baseUrl: rc.locationBase, ...(opts.schemas !== undefined ? { schemas: opts.schemas, resourceTypes: resourceTypesFor(opts.schemas) } : {}) }
  switch (resource) {
    case 'Schemas': {
      if (id === undefined) return jsonResponse(200, schemaListResponse(rc.version, d))
      const doc = schemaDocument(rc.version, id, d)
      if (doc === undefined) throw new NotFoundError(`schema ${JSON.stringify(id)} not found`)
      return jsonResponse(200, doc)
    }
    case 'ResourceTypes': {
      if (id === undefined) return jsonResponse(200, resourceTypeListResponse(rc.version, d))
      const doc = resourceTypeDocument(rc.version, id, d)
      if (doc === undefined) throw new NotFoundError(`resource type ${JSON.stringify(id)} not found`)
      return jsonResponse(200, doc)
    }
    default:
      if (id !== undefined) throw new NotFoundError(`/${resource}/${id} not found`)
      return jsonResponse(200, serviceProviderConfig({
        version: rc.version,
        baseUrl: rc.locationBase,
        patch: true,
        bulk: { supported: true, maxOperations: opts.bulk.maxOperations, maxPayloadSize: opts.bulk.maxPayloadSize },
        filter: { supported: true, maxResults: opts.maxResults },
        changePassword: true,
        sort: true,
        etag: true,
        authenticationSchemes: opts.authenticationSchemes
      }))
  }
}

/**
 * Resource types matching a plugin's own schemas: each type lists exactly the extensions published
 * for it (an extension URN ending in `:User` belongs to User, `:Group` to Group), so /ResourceTypes
 * never names a schema that /Schemas does not have.
 */
function resourceTypesFor (schemas: readonly SchemaDef[]): ResourceTypeDef[] {
  const core = new Set(CORE_RESOURCE_TYPES.map(rt => rt.schema))
  return CORE_RESOURCE_TYPES.map(rt => ({
    ...rt,
    schemaExtensions: schemas.filter(sd => !core.has(sd.id) && sd.id.endsWith(`:${rt.id}`)).map(sd => ({ schema: sd.id, required: false }))
  }))
}
