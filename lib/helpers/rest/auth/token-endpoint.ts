// One token request: POST a form to a token endpoint and read the OAuth 2.0 answer (RFC 6749 §5.1)
// into a Token; a refusal becomes a typed `auth` RestError with the endpoint's error and
// error_description (AADSTS codes included) but never the secret or the token.
import { isRestError, RestError } from '../errors.ts'
import type { Token } from '../token-cache.ts'
import type { FormPost } from './types.ts'

/**
 * @param what who asks, for messages ("auth.type oauth, client abc")
 * @param tokenKeys where the access token may be in the answer (`token` type servers differ)
 */
export async function requestToken (post: FormPost, url: string, form: Record<string, string>, what: string, signal: AbortSignal, tokenKeys: readonly string[] = ['access_token']): Promise<Token> {
  let res
  try {
    res = await post(url, form, signal)
  } catch (e) {
    if (isRestError(e) && (e.kind === 'aborted' || e.kind === 'timeout')) throw e
    throw new RestError(`token request to ${url} failed (${what}): ${e instanceof Error ? e.message : String(e)}`, { kind: 'auth', url, method: 'POST', cause: e })
  }
  const body = typeof res.body === 'object' && res.body !== null ? res.body as Record<string, unknown> : {}
  if (res.status < 200 || res.status >= 300) {
    const code = typeof body.error === 'string' ? body.error : `HTTP ${res.status}`
    const desc = typeof body.error_description === 'string' ? `: ${firstLine(body.error_description)}` : ''
    throw new RestError(`token request refused by ${url} (${code}${desc}); check ${what}`, { kind: 'auth', url, method: 'POST', status: res.status })
  }
  const value = tokenKeys.map(k => body[k]).find((v): v is string => typeof v === 'string' && v !== '')
  if (value === undefined) throw new RestError(`token endpoint ${url} answered without ${tokenKeys.join('/')} (${what})`, { kind: 'auth', url, method: 'POST', status: res.status })
  const rawType = typeof body.token_type === 'string' && body.token_type !== '' ? body.token_type : 'Bearer'
  const type = rawType.toLowerCase() === 'bearer' ? 'Bearer' : rawType
  const exp = typeof body.expires_in === 'number' ? body.expires_in : typeof body.expires_in === 'string' ? Number(body.expires_in) : undefined
  return { value, type, ...(exp !== undefined && Number.isFinite(exp) ? { expiresInS: exp } : {}) }
}

function firstLine (s: string): string {
  const line = s.split(/\r?\n/)[0] ?? ''
  return line.length > 300 ? `${line.slice(0, 300)}…` : line
}
