// Unknown keys in the parts of scim-stream.yaml the schema keeps loose (a tenant's `general`, `auth`
// and `dynamics`, whose keys depend on the collector type): every one is a problem with its path and a
// "did you mean", so `general.collect_intervall` never falls back to the default silently.
// Also the documented `general.hr` block (SuccessFactors example), translated to our `general` keys.
// The key lists are the service's own plus the ones the collectors export (sources/*/config.ts), so a
// key a collector learns is known here without a second list; nested shapes are spelled out here.
import type { ConfigProblem } from '../config/errors.ts'
import { didYouMean } from '../config/path.ts'
import { isJsonObject, type JsonObject, type JsonValue } from '../scim/types.ts'
import { ENTRA_AUTH_KEYS, ENTRA_GENERAL_KEYS, ENTRA_OPTION_KEYS } from './sources/entra/config.ts'
import { HR_AUTH_KEYS, HR_GENERAL_KEYS, HR_SAML_KEYS } from './sources/hr/config.ts'

/** A tree of known keys: `true` = any value; an object = its known keys; `list` = each element's keys. */
export type KeyTree = { readonly [key: string]: true | KeyTree | { readonly list: KeyTree } }

const SERVICE_GENERAL = { collect_interval: true, do_initial_load: true, delete_missing: true, max_inflight: true, request_timeout: true, max_retries: true, max_pages: true } as const

/** Keys any value of which is read (the collectors' own lists, so a key a collector learns is known here too). */
const known = (keys: readonly string[]): KeyTree => Object.fromEntries(keys.map(k => [k, true] as const))

const ENTRA_GENERAL: KeyTree = {
  ...SERVICE_GENERAL,
  ...known(ENTRA_GENERAL_KEYS),
  do_initial_load_filter: true, // the service's (tenant-runtime), not the collector's
  entra: known(ENTRA_OPTION_KEYS)
}

// `hr` (the documented general.hr block) is lifted to general.<key> before this check, with its own report.
const HR_GENERAL: KeyTree = { ...SERVICE_GENERAL, ...known(HR_GENERAL_KEYS.filter(k => k !== 'hr')) }

// Entra's documented oauth has only clients[] of client_id/client_secret: the login and Graph URLs are
// auth.login_url / auth.graph_url, so any other key under oauth would be read by nothing.
const ENTRA_AUTH: KeyTree = {
  ...known(ENTRA_AUTH_KEYS),
  oauth: { clients: { list: { client_id: true, client_secret: true } } }
}

// HR oauth: one client, a list of clients, or the documented { clients: [...] } with token_url/scope shared.
const HR_OAUTH_CLIENT: KeyTree = { token_url: true, client_id: true, client_secret: true, scope: true }
const HR_AUTH: KeyTree = {
  ...known(HR_AUTH_KEYS),
  basic: { username: true, password: true },
  bearer_token: { token: true }, // a string, or { token } as documented
  header: true, // any header names
  oauth: { ...HR_OAUTH_CLIENT, clients: { list: HR_OAUTH_CLIENT } },
  oauth_saml_assertion: known(HR_SAML_KEYS)
}

const DYNAMIC: KeyTree = { dynamic_id: true, comment: true, rules: { list: { filter: true, comment: true } }, assignments: true }

const HR_BLOCK = ['collect_query_string', 'collect_query_result_path', 'pre_activate_days']

/**
 * Problems for unknown keys under every tenant's `general`, `auth` and `dynamics`.
 * @example unknownTenantKeys({ hr: { sf: { general: { collect_intervall: 5 } } } })
 */
export function unknownTenantKeys (config: JsonValue): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  if (!isJsonObject(config)) return problems
  for (const type of ['entra', 'hr'] as const) {
    const section = config[type]
    if (!isJsonObject((section ?? null) as JsonValue)) continue
    for (const [name, t] of Object.entries(section as JsonObject)) {
      if (!isJsonObject((t ?? null) as JsonValue)) continue
      const tenant = t as JsonObject
      const at = `${type}.${name}`
      walk(tenant.general, type === 'entra' ? ENTRA_GENERAL : HR_GENERAL, `${at}.general`, problems)
      walk(tenant.auth, type === 'entra' ? ENTRA_AUTH : HR_AUTH, `${at}.auth`, problems)
      const dyn = tenant.dynamics
      if (Array.isArray(dyn)) dyn.forEach((d, i) => { walk(d, DYNAMIC, `${at}.dynamics[${i}]`, problems) })
    }
  }
  return problems
}

/**
 * Moves the documented `hr.<tenant>.general.hr.{collect_query_string, collect_query_result_path,
 * pre_activate_days}` to `general.<key>` (in place). Returns one note per tenant translated.
 */
export function liftGeneralHr (config: JsonValue, problems: ConfigProblem[]): string[] {
  const notes: string[] = []
  if (!isJsonObject(config) || !isJsonObject((config.hr ?? null) as JsonValue)) return notes
  for (const [name, t] of Object.entries(config.hr as JsonObject)) {
    if (!isJsonObject((t ?? null) as JsonValue)) continue
    const general = (t as JsonObject).general
    if (!isJsonObject((general ?? null) as JsonValue)) continue
    const g = general as JsonObject
    const block = g.hr
    if (block === undefined || block === null) { delete g.hr; continue }
    const at = `hr.${name}.general.hr`
    if (!isJsonObject(block)) { problems.push({ path: at, message: `must be an object of ${HR_BLOCK.join(', ')}` }); continue }
    const moved: string[] = []
    for (const [k, v] of Object.entries(block)) {
      if (!HR_BLOCK.includes(k)) {
        const hint = didYouMean(k, HR_BLOCK)
        problems.push({ path: `${at}.${k}`, message: hint !== undefined ? `unknown key (did you mean "${hint}"?)` : `unknown key; allowed: ${HR_BLOCK.join(', ')}` })
        continue
      }
      if (g[k] !== undefined && g[k] !== null) { problems.push({ path: `${at}.${k}`, message: `also given as hr.${name}.general.${k}; keep one` }); continue }
      g[k] = v
      moved.push(k)
    }
    delete g.hr
    if (moved.length > 0) notes.push(`${at}: documented block translated: ${moved.join(', ')} read as general.<key>`)
  }
  return notes
}

/**
 * The configuration reference names a dynamic's id `dynamicId` (its example writes `dynamic_id`):
 * read as `dynamic_id` (in place). Returns one note per tenant translated.
 */
export function renameDynamicId (config: JsonValue, problems: ConfigProblem[]): string[] {
  const notes: string[] = []
  if (!isJsonObject(config)) return notes
  for (const type of ['entra', 'hr'] as const) {
    const section = config[type]
    if (!isJsonObject((section ?? null) as JsonValue)) continue
    for (const [name, t] of Object.entries(section as JsonObject)) {
      const dyn = isJsonObject((t ?? null) as JsonValue) ? (t as JsonObject).dynamics : undefined
      if (!Array.isArray(dyn)) continue
      let n = 0
      dyn.forEach((d, i) => {
        if (!isJsonObject((d ?? null) as JsonValue) || !('dynamicId' in (d as JsonObject))) return
        const o = d as JsonObject
        if (o.dynamic_id !== undefined) { problems.push({ path: `${type}.${name}.dynamics[${i}].dynamicId`, message: 'also given as dynamic_id; keep one' }); return }
        o.dynamic_id = o.dynamicId ?? null
        delete o.dynamicId
        n++
      })
      if (n > 0) notes.push(`${type}.${name}.dynamics: documented dynamicId read as dynamic_id ×${n}`)
    }
  }
  return notes
}

function walk (v: JsonValue | undefined, tree: KeyTree, at: string, problems: ConfigProblem[]): void {
  if (!isJsonObject((v ?? null) as JsonValue)) return
  const known = Object.keys(tree)
  for (const [k, child] of Object.entries(v as JsonObject)) {
    const sub = tree[k]
    if (sub === undefined) {
      const hint = didYouMean(k, known)
      problems.push({ path: `${at}.${k}`, message: hint !== undefined ? `unknown key (did you mean "${hint}"?)` : `unknown key; allowed: ${known.join(', ')}` })
      continue
    }
    if (sub === true) continue
    if ('list' in sub && isListTree(sub)) {
      if (Array.isArray(child)) child.forEach((e, i) => { walk(e, sub.list, `${at}.${k}[${i}]`, problems) })
      continue
    }
    // An object tree given a list (HR auth.oauth as a list of clients): each element has those keys.
    if (Array.isArray(child)) child.forEach((e, i) => { walk(e, sub as KeyTree, `${at}.${k}[${i}]`, problems) })
    else walk(child, sub as KeyTree, `${at}.${k}`, problems)
  }
}

function isListTree (t: KeyTree | { readonly list: KeyTree }): t is { readonly list: KeyTree } {
  const l = (t as { list?: unknown }).list
  return typeof l === 'object' && l !== null && Object.keys(t).length === 1
}
