// The answer of an OAuth 2.0 token endpoint (RFC 6749 §5.1), shared by the client-credentials and
// the SAML2 bearer flows of the HR collector: access_token and expires_in, or an error that names
// the endpoint and the server's own reason (never a credential).

/** A token and its lifetime in seconds. */
export interface TokenAnswer {
  token: string
  expiresIn: number
}

/** POSTs `form` to `url` and reads the token answer. @throws Error with the endpoint's reason */
export async function postTokenForm (url: string, form: URLSearchParams, f: typeof fetch, timeoutMs: number, signal: AbortSignal): Promise<TokenAnswer> {
  const res = await f(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: form.toString(),
    signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}: ${text.slice(0, 200)}`)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new Error(`token endpoint ${url} did not answer JSON`)
  }
  const b = body as { access_token?: unknown, expires_in?: unknown }
  if (typeof b.access_token !== 'string' || b.access_token === '') throw new Error(`token endpoint ${url} answered without access_token`)
  const expiresIn = typeof b.expires_in === 'number' ? b.expires_in : typeof b.expires_in === 'string' ? Number(b.expires_in) : 3600
  return { token: b.access_token, expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600 }
}
