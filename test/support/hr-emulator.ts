// A local HR source shaped like SAP SuccessFactors (OData v2 `PerPerson` with `$expand`ed
// navigations, `/Date(ms)/` values, `d.results` and `__next` paging by `$skiptoken`), plus the same
// data as OData v4 (`value`, relative `@odata.nextLink`) and as a plain JSON API with a custom next
// link (`data.items`, `paging.next`), an OAuth client-credentials token endpoint, and switches for
// outages, slow answers and 429/503 with Retry-After. For tests, the collector benchmark and the
// demo (scripts/hr-emulator.ts). Listens on 127.0.0.1 only; nothing starts on import.
//
//   GET  /odata/v2/PerPerson?$expand=personalInfoNav,emailNav,employmentNav/jobInfoNav&$format=json
//   GET  /odata/v4/PerPerson?$expand=…            GET /api/persons?cursor=<n>
//   POST /oauth/token   (grant_type=client_credentials, client_id, client_secret in form or Basic;
//                        or the SAML2 bearer grant: assertion + client_id + company_id, verified
//                        with the registered certificate by test/support/saml-verifier.ts)
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Hono, type Context } from 'hono'
import { getRequestListener } from '@hono/node-server'
import type { JsonObject, JsonValue } from '../../lib/scim/types.ts'
import { generatePersons, type GenerateOptions } from './hr-emulator-data.ts'
import { verifySamlAssertion } from './saml-verifier.ts'

export { generatePerson, type GenerateOptions } from './hr-emulator-data.ts'

/** Authentication the emulator demands (any one configured method is enough). */
export interface HrEmulatorAuth {
  basic?: { username: string, password: string }
  bearer?: string
  header?: { name: string, value: string }
  oauth?: { clients: Array<{ client_id: string, client_secret: string }>, expiresIn?: number }
  /** SAML2 bearer grant (SuccessFactors): the registered API client, its company and certificate. */
  saml?: { client_id: string, company_id: string, certificatePem: string, audience: string, expiresIn?: number, now?: () => Date }
}

/** Options of {@link startHrEmulator}. */
export interface HrEmulatorOptions {
  /** Explicit records (anything, to test malformed ones) or a number of generated persons. */
  persons?: readonly JsonValue[] | number
  /** Generation of numbered persons (seed, reference date, revision). */
  generate?: GenerateOptions
  /** Records per page (default 1000). */
  pageSize?: number
  auth?: HrEmulatorAuth
  /** The first N data requests are answered with `failStatus` (default 503). */
  failFirst?: number
  failStatus?: number
  /** Retry-After header sent with those failures. */
  retryAfter?: number | string
  /** Delay before each data answer, in ms. */
  delayMs?: number
  /** Port on 127.0.0.1 (default 0: a free one; tests always use 0). */
  port?: number
  /** Listen address (default 127.0.0.1; the compose demo uses 0.0.0.0). */
  host?: string
}

/** A running emulator. */
export interface HrEmulator {
  /** `http://127.0.0.1:<port>` (stays the same across setDown). */
  readonly url: string
  /** Data requests received (every answer, failures included; token requests not counted). */
  readonly requests: number
  readonly tokenRequests: number
  setPersons (persons: readonly JsonValue[] | number, generate?: GenerateOptions): void
  /** Outage: 'refuse' closes the listener (connection refused), 503 answers every data request 503. */
  setDown (down: boolean, mode?: 'refuse' | 503): Promise<void>
  setDelay (ms: number): void
  setFailures (count: number, status?: number, retryAfter?: number | string): void
  /** Forgets every issued OAuth token (the next request with one gets 401). */
  revokeTokens (): void
  /** Why the token endpoint refused requests, latest last (SAML: the verifier's reason). */
  readonly tokenRejections: readonly string[]
  /** The NameIDs of accepted SAML assertions, in order. */
  readonly samlSubjects: readonly string[]
  stop (): Promise<void>
}

const V2_PATH = '/odata/v2/PerPerson'
const V4_PATH = '/odata/v4/PerPerson'
const CUSTOM_PATH = '/api/persons'
const NAVS = ['personalInfoNav', 'emailNav', 'employmentNav'] as const

/**
 * Starts the emulator on a free port of 127.0.0.1.
 * @example const hr = await startHrEmulator({ persons: 2500, pageSize: 1000 })
 */
export async function startHrEmulator (opts: HrEmulatorOptions = {}): Promise<HrEmulator> {
  let source: Source = toSource(opts.persons ?? 10, opts.generate)
  const pageSize = Math.max(1, opts.pageSize ?? 1000)
  let failLeft = opts.failFirst ?? 0
  let failStatus = opts.failStatus ?? 503
  let retryAfter = opts.retryAfter
  let delayMs = opts.delayMs ?? 0
  let down503 = false
  let requests = 0
  let tokenRequests = 0
  let tokenSeq = 0
  const tokens = new Map<string, number>()
  const tokenRejections: string[] = []
  const samlSubjects: string[] = []
  const auth = opts.auth

  const issue = (c: Context, id: string, expiresIn: number): Response => {
    const token = `emu-${id}-${++tokenSeq}`
    tokens.set(token, Date.now() + expiresIn * 1000)
    return c.json({ access_token: token, token_type: 'Bearer', expires_in: expiresIn })
  }
  const refuse = (c: Context, status: 400 | 401, error: string, why: string): Response => {
    tokenRejections.push(why)
    return c.json({ error, error_description: why }, status)
  }
  const samlGrant = (c: Context, form: URLSearchParams): Response => {
    const saml = auth?.saml
    if (saml === undefined) return refuse(c, 400, 'unsupported_grant_type', 'no SAML client registered')
    if (form.get('client_id') !== saml.client_id) return refuse(c, 401, 'invalid_client', `unknown client_id ${form.get('client_id') ?? ''}`)
    if (form.get('company_id') !== saml.company_id) return refuse(c, 401, 'invalid_client', `wrong company_id ${form.get('company_id') ?? ''}`)
    // RFC 7522 says base64url; SuccessFactors takes plain base64: accept both.
    const raw = (form.get('assertion') ?? '').replace(/-/g, '+').replace(/_/g, '/')
    try {
      const a = verifySamlAssertion(Buffer.from(raw, 'base64').toString('utf8'), { certificatePem: saml.certificatePem, audience: saml.audience, recipient: c.req.url, ...(saml.now !== undefined ? { now: saml.now() } : {}) })
      if (a.attributes.api_key?.[0] !== saml.client_id) return refuse(c, 401, 'invalid_grant', 'api_key attribute does not name the client')
      samlSubjects.push(a.nameId)
    } catch (err) {
      return refuse(c, 401, 'invalid_grant', (err as Error).message)
    }
    return issue(c, saml.client_id, saml.expiresIn ?? 3600)
  }

  const app = new Hono()
  app.post('/oauth/token', async (c) => {
    tokenRequests++
    const form = new URLSearchParams(await c.req.text())
    let id = form.get('client_id') ?? ''
    let secret = form.get('client_secret') ?? ''
    const basic = parseBasic(c.req.header('authorization'))
    if (basic !== undefined && id === '') [id, secret] = [basic.user, basic.pass]
    if (form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:saml2-bearer') return samlGrant(c, form)
    if (form.get('grant_type') !== 'client_credentials') return c.json({ error: 'unsupported_grant_type' }, 400)
    const ok = auth?.oauth?.clients.some(cl => cl.client_id === id && cl.client_secret === secret) === true
    if (!ok) return refuse(c, 401, 'invalid_client', `client ${id} refused`)
    return issue(c, id, auth?.oauth?.expiresIn ?? 3600)
  })

  const data = (format: 'v2' | 'v4' | 'custom') => async (c: Context) => {
    requests++
    if (delayMs > 0) await new Promise(resolve => setTimeout(resolve, delayMs))
    if (down503) return c.text('Service Unavailable', 503)
    if (failLeft > 0) {
      failLeft--
      const headers: Record<string, string> = retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {}
      return c.json({ error: { code: String(failStatus), message: { lang: 'en-US', value: 'emulated failure' } } }, failStatus as 503, headers)
    }
    if (!authorized(c.req.header('authorization'), c.req.header(auth?.header?.name ?? 'x-none'))) {
      return c.json({ error: { code: 'COE_AUTHENTICATION_FAILED', message: { lang: 'en-US', value: 'authentication failed' } } }, 401)
    }
    const q = c.req.query()
    const skip = Math.max(0, Number(q.$skiptoken ?? q.cursor ?? 0) || 0)
    const expand = expandOf(q.$expand)
    const origin = new URL(c.req.url).origin
    const end = Math.min(source.count, skip + pageSize)
    const results: JsonValue[] = []
    for (let i = skip; i < end; i++) results.push(shape(source.get(i), expand, origin, format))
    const more = end < source.count
    const params = new URLSearchParams(c.req.url.split('?')[1] ?? '')
    params.delete('$skiptoken')
    params.delete('cursor')
    let body: JsonObject
    if (format === 'v2') {
      params.set('$skiptoken', String(end))
      body = { d: { results, ...(more ? { __next: `${origin}${V2_PATH}?${params.toString()}` } : {}) } }
    } else if (format === 'v4') {
      params.set('$skiptoken', String(end))
      body = { '@odata.context': `${origin}/odata/v4/$metadata#PerPerson`, value: results, ...(more ? { '@odata.nextLink': `PerPerson?${params.toString()}` } : {}) }
    } else {
      params.set('cursor', String(end))
      body = { data: { items: results }, paging: more ? { next: `${CUSTOM_PATH}?${params.toString()}` } : {} }
    }
    return c.body(JSON.stringify(body), 200, { 'Content-Type': 'application/json;charset=utf-8' })
  }
  app.get(V2_PATH, data('v2'))
  app.get(V4_PATH, data('v4'))
  app.get(CUSTOM_PATH, data('custom'))

  function authorized (authorization: string | undefined, headerValue: string | undefined): boolean {
    if (auth === undefined || Object.keys(auth).length === 0) return true
    if (auth.header !== undefined && headerValue === auth.header.value) return true
    const basic = parseBasic(authorization)
    if (auth.basic !== undefined && basic !== undefined && basic.user === auth.basic.username && basic.pass === auth.basic.password) return true
    const bearer = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1]
    if (bearer !== undefined) {
      if (auth.bearer !== undefined && bearer === auth.bearer) return true
      const exp = tokens.get(bearer)
      if (exp !== undefined && exp > Date.now()) return true
    }
    return false
  }

  const server: Server = createServer(getRequestListener(app.fetch))
  server.keepAliveTimeout = 1000
  const listen = async (port: number): Promise<number> => await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
  const close = async (): Promise<void> => await new Promise((resolve) => {
    if (!server.listening) { resolve(); return }
    server.close(() => { resolve() })
    server.closeAllConnections()
  })
  const port = await listen(opts.port ?? 0)
  const url = `http://127.0.0.1:${port}`

  return {
    url,
    get requests () { return requests },
    get tokenRequests () { return tokenRequests },
    setPersons (persons, generate) { source = toSource(persons, generate) },
    async setDown (down, mode = 'refuse') {
      if (mode === 503) { down503 = down; return }
      if (down) await close()
      else if (!server.listening) await listen(port)
    },
    setDelay (ms) { delayMs = ms },
    setFailures (count, status = 503, after) {
      failLeft = count
      failStatus = status
      retryAfter = after
    },
    revokeTokens () { tokens.clear() },
    tokenRejections,
    samlSubjects,
    stop: close
  }
}

interface Source {
  count: number
  get: (i: number) => JsonValue
}

function toSource (persons: readonly JsonValue[] | number, generate?: GenerateOptions): Source {
  if (typeof persons === 'number') return generatePersons(persons, generate ?? {})
  const list = [...persons]
  return { count: list.length, get: (i) => list[i] ?? null }
}

type Expand = Set<string>

function expandOf (raw: string | undefined): Expand {
  const out = new Set<string>()
  for (const part of (raw ?? '').split(',')) {
    const p = part.trim()
    if (p === '') continue
    out.add(p)
    const slash = p.indexOf('/')
    if (slash > 0) out.add(p.slice(0, slash))
  }
  return out
}

// Navigations not named in $expand are deferred, as SuccessFactors answers; v4 and the custom API
// inline arrays instead of `{ results: [...] }`.
function shape (rec: JsonValue, expand: Expand, origin: string, format: 'v2' | 'v4' | 'custom'): JsonValue {
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) return rec
  const id = String(rec.personIdExternal ?? '')
  const uri = `${origin}${V2_PATH}('${id}')`
  const out: JsonObject = format === 'v2' ? { __metadata: { uri, type: 'SFOData.PerPerson' }, ...rec } : { ...rec }
  for (const nav of NAVS) {
    const v = out[nav]
    if (v === undefined) continue
    if (!expand.has(nav)) {
      if (format === 'v2') out[nav] = { __deferred: { uri: `${uri}/${nav}` } }
      else delete out[nav]
      continue
    }
    if (nav === 'employmentNav') out[nav] = employments(v, expand.has('employmentNav/jobInfoNav'), uri, format)
    else if (format !== 'v2') out[nav] = unwrap(v)
  }
  return out
}

function employments (v: JsonValue, withJobs: boolean, uri: string, format: 'v2' | 'v4' | 'custom'): JsonValue {
  const list = unwrap(v)
  if (!Array.isArray(list)) return v
  const mapped = list.map((e) => {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) return e
    const copy: JsonObject = { ...e }
    if (copy.jobInfoNav !== undefined) {
      if (!withJobs) {
        if (format === 'v2') copy.jobInfoNav = { __deferred: { uri: `${uri}/employmentNav/jobInfoNav` } }
        else delete copy.jobInfoNav
      } else if (format !== 'v2') copy.jobInfoNav = unwrap(copy.jobInfoNav)
    }
    return copy
  })
  return format === 'v2' ? { results: mapped } : mapped
}

function unwrap (v: JsonValue | undefined): JsonValue {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Array.isArray(v.results)) return v.results
  return v ?? null
}

function parseBasic (h: string | undefined): { user: string, pass: string } | undefined {
  const m = /^Basic (.+)$/i.exec(h ?? '')
  if (m?.[1] === undefined) return undefined
  const s = Buffer.from(m[1], 'base64').toString('utf8')
  const i = s.indexOf(':')
  return i < 0 ? undefined : { user: s.slice(0, i), pass: s.slice(i + 1) }
}
