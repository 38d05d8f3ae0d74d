// Builds HTTP responses for SCIM: content type, error bodies, ETag, Location.
import { ScimError, isScimError, toScimErrorBody } from '../../scim/errors.ts'
import type { ScimVersion } from '../../scim/types.ts'

export const SCIM_JSON = 'application/scim+json; charset=utf-8'

export function jsonResponse (status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': SCIM_JSON, ...headers } })
}

export function errorResponse (err: unknown, version: ScimVersion, extraHeaders: Record<string, string> = {}): Response {
  const e = isScimError(err) ? err : new ScimError(500, undefined, 'Internal server error')
  const headers = { ...extraHeaders }
  if (e.status === 429) headers['retry-after'] ??= '1'
  // a plugin's ServiceUnavailableError may say when the backend expects to be back
  const retryAfter = (e as { retryAfter?: unknown }).retryAfter
  if (e.status === 503 && typeof retryAfter === 'number' && retryAfter > 0) headers['retry-after'] ??= String(Math.ceil(retryAfter))
  return jsonResponse(e.status, toScimErrorBody(e, version), headers)
}

export function noContent (headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 204, headers })
}
