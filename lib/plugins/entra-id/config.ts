// The `endpoint` section of config/plugin-entra-id.json (scimgateway's plugin-entra-id shape):
// `entity.<baseEntity>.connection` is a REST connection (lib/helpers/rest) whose auth is Entra's
// (`oauth` with azureTenantId/clientId/clientSecret, `oauthJwtBearer` with a certificate or
// federated credentials); `baseUrls` may stay empty (→ https://graph.microsoft.com/v1.0).
// `map.user.roles` (scimgateway's switch) turns on PIM role management: `roles` become the user's
// Permanent and Eligible directory roles, read and written (needs RoleManagement.ReadWrite.Directory
// and RoleEligibilitySchedule.ReadWrite.Directory); without it `roles` are read-only directory roles.
// `map.user.entitlements` adds IGA access packages to the (read-only) licences of `entitlements`,
// read and written (needs EntitlementManagement.ReadWrite.All).
// Declared with the SDK so every problem joins the one ConfigError with its path.
import { connectionSchema } from '../../helpers/rest/config.ts'
import { endpointSchema, s, type EndpointOf } from '../sdk/index.ts'

const entityShape = {
  connection: connectionSchema.refine((c, report) => {
    if (c.auth === undefined) report('Microsoft Graph needs auth (type "oauth" or "oauthJwtBearer" with options.azureTenantId)', ['auth'])
    else if (c.auth.type !== 'oauth' && c.auth.type !== 'oauthJwtBearer' && c.auth.type !== 'bearer') report(`auth.type "${c.auth.type}" cannot get a Graph token; use "oauth" or "oauthJwtBearer"`, ['auth', 'type'])
    if (c.baseUrls.length === 0 && c.auth?.options.azureTenantId === undefined) report('needs baseUrls, or auth.options.azureTenantId (then Graph is https://graph.microsoft.com/v1.0)', ['baseUrls'])
  }),
  /** Graph page size ($top) for lists, 1..999. */
  pageSize: s.integer({ min: 1, max: 999 }).default(999).describe('$top of Graph list requests'),
  /**
   * Domain appended to a userName without "@" on write (and taken off on read), for SCIM clients
   * that send bare account names; Graph's userPrincipalName always needs a verified domain.
   */
  userNameDomain: s.string({ pattern: /^[^@\s]+\.[^@\s]+$/, patternName: 'domain name' }).optional().describe('verified domain for bare userNames'),
  /** passwordProfile.forceChangePasswordNextSignIn of created users and password changes. */
  forceChangePassword: s.boolean().default(true).describe('users must change the password at next sign-in')
}

/** A map entry as scimgateway writes it (`{ "mapTo": "roles", "type": "array" }`); its presence is what counts. */
function mapEntry<T extends string> (name: T): s.Schema<{ mapTo?: T | undefined, type?: string | undefined }> {
  return s.object({ mapTo: s.enumOf([name] as const).optional(), type: s.string().optional() })
}

const topShape = {
  /** Optional SCIM attributes this plugin manages beyond its fixed mapping. */
  map: s.object({
    user: s.object({
      /** PIM role management of users' `roles` (Permanent and Eligible directory roles). */
      roles: mapEntry('roles').optional().describe('manage PIM directory roles through roles'),
      /** IGA access packages in users' `entitlements` (besides the read-only licences). */
      entitlements: mapEntry('entitlements').optional().describe('manage access packages through entitlements')
    }).optional()
  }).optional()
}

export const entraEndpointSchema = endpointSchema({ top: topShape, entity: entityShape, requireEntity: true })

export type EntraEndpoint = EndpointOf<typeof topShape, typeof entityShape>
export type EntraEntity = EntraEndpoint['entity'][string]
