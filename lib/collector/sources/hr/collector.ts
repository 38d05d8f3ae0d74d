// The HR collector: pages through a REST source (SAP SuccessFactors OData v2, OData v4, or any JSON
// API with a next link), checks each record and hands the usable ones on. One page is fetched ahead
// while the previous one is consumed; only that page and the next are in memory with stream().
//
// HTTP goes through lib/helpers/rest (connection.ts translates the config): auth, token cache,
// retries honouring Retry-After, per-request timeout and failover across `auth.base_urls`.
//
// Paging (linkedPages of lib/helpers/rest): the next link is read from `general.collect_next_link_path`
// when set, else `d.__next` (OData v2) or `@odata.nextLink` (OData v4). Relative links are resolved
// against the URL that answered; links under one of the base URLs are requested relative to it, so
// failover to another base URL also works in the middle of paging (a link elsewhere on the same host
// is followed there, without failover). A link to any other host, or one seen twice, ends the
// collection with an error: credentials are never sent to a host the server names.
//
// A malformed record (not an object, or start/end dates present but unreadable) is logged, reported
// in `problems` and skipped; the others continue. A collection with problems is not `complete`:
// a skipped record must never be taken for a person that left the source (no deletions then).
import type { Logger } from '../../../logging/types.ts'
import { isJsonObject, type JsonObject, type JsonValue } from '../../../scim/types.ts'
import { linkedPages, type SamlAssertionProvider } from '../../../helpers/rest/index.ts'
import { parseHrConfig, type HrCollectorConfig } from './config.ts'
import { hrRestClient } from './connection.ts'
import { getPath, parsePath, type PathSegment } from './json-path.ts'
import { compileLifecycle, HrRecordError, type HrLifecycle } from './lifecycle.ts'

/** Dependencies of {@link createHrCollector}. */
export interface HrCollectorDeps {
  log: Logger
  now?: () => Date
  /** Waits (Retry-After); injectable for tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  /** Added to log lines. */
  tenant?: string
  /** Directory of relative oauth_saml_assertion key_file / cert_file (service: <config dir>/certs). */
  certDir?: string
  /** Replaces the SAML assertion maker of oauth_saml_assertion (tests). */
  samlAssertion?: SamlAssertionProvider
}

/** A record that was skipped, and why. */
export interface HrRecordProblem {
  /** 1-based page number and 0-based position in the page. */
  page: number
  index: number
  message: string
  /** personIdExternal / userId / id of the record when it has one. */
  id?: string
  /** The record as JSON, cut at 200 characters. */
  preview: string
}

/** What {@link HrCollector.collect} returns. */
export interface HrCollectResult {
  /** The usable raw records, in source order. */
  persons: JsonObject[]
  problems: HrRecordProblem[]
  pages: number
  /** True when every page arrived and no record was skipped (deletions are safe). */
  complete: boolean
  /** The base URL that answered last. */
  baseUrl: string
}

/** A streaming collection: iterate `persons`; the rest is final once the iteration ended. */
export interface HrStream {
  persons: AsyncIterable<JsonObject>
  readonly problems: readonly HrRecordProblem[]
  /** True after an iteration that saw every page and skipped nothing. */
  complete (): boolean
  pages (): number
}

/** The HR collector of one tenant. */
export interface HrCollector {
  /** Collects everything into memory. Throws a RestError (lib/helpers/rest) or HrCollectError when a page cannot be had. */
  collect (signal?: AbortSignal): Promise<HrCollectResult>
  /** Collects page by page (for large sources). The iteration throws like collect(). */
  stream (signal?: AbortSignal): HrStream
  /** The Joiner-Mover-Leaver state of a collected record now (config paths and pre_activate_days). */
  lifecycle (person: JsonObject): HrLifecycle
  readonly config: HrCollectorConfig
}

/** The source answered something the collector cannot page through. */
export class HrCollectError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'HrCollectError'
  }
}

const DEFAULT_RESULT_PATHS = ['d.results', 'value', 'd'].map(parsePath)
const DEFAULT_NEXT_PATHS = ['d.__next', '@odata.nextLink', 'odata.nextLink'].map(parsePath)
const ID_KEYS = ['personIdExternal', 'userId', 'id', 'externalId'] as const
const MAX_PROBLEM_LOGS = 20

/**
 * Creates the collector. `cfg` is the `hr.<tenant>` section (or its parsed form).
 * @throws HrConfigError listing every configuration problem
 * @example
 * const hr = createHrCollector(config.hr.mycompany, { log })
 * const { persons, problems } = await hr.collect()
 */
export function createHrCollector (cfg: HrCollectorConfig | { auth?: unknown, general?: unknown }, deps: HrCollectorDeps): HrCollector {
  const config = parseHrConfig(cfg)
  const { general } = config
  const log = deps.tenant !== undefined ? deps.log.child({ tenant: deps.tenant }) : deps.log
  const now = deps.now ?? (() => new Date())
  const client = hrRestClient(config, {
    log,
    ...(deps.certDir !== undefined ? { certDir: deps.certDir } : {}),
    ...(deps.now !== undefined ? { now: deps.now } : {}),
    ...(deps.sleep !== undefined ? { sleep: deps.sleep } : {}),
    ...(deps.samlAssertion !== undefined ? { samlAssertion: deps.samlAssertion } : {})
  })
  const resultPaths = general.collect_query_result_path !== undefined ? [parsePath(general.collect_query_result_path)] : DEFAULT_RESULT_PATHS
  const nextPaths = general.collect_next_link_path !== undefined ? [parsePath(general.collect_next_link_path)] : DEFAULT_NEXT_PATHS
  const lifecycle = compileLifecycle({ startDatePath: general.start_date_path, endDatePath: general.end_date_path, preActivateDays: general.pre_activate_days })

  const stream = (signal?: AbortSignal): HrStream => {
    const problems: HrRecordProblem[] = []
    let pages = 0
    let complete = false

    async function * persons (): AsyncGenerator<JsonObject> {
      const ctl = new AbortController()
      const sig = signal !== undefined ? AbortSignal.any([signal, ctl.signal]) : ctl.signal
      const t = now()
      try {
        // one page is fetched ahead while the previous one is consumed
        for await (const res of linkedPages(client, general.collect_query_string, { signal: sig, maxPages: general.max_pages, next: body => nextOf(body, nextPaths) })) {
          pages++
          const records = resultsOf(res.body, resultPaths, res.url, general.collect_query_result_path)
          for (let i = 0; i < records.length; i++) {
            const rec = records[i]
            const problem = check(rec, t)
            if (problem === undefined) {
              yield rec as JsonObject
              continue
            }
            const p: HrRecordProblem = { page: pages, index: i, message: problem, preview: preview(rec) }
            const id = idOf(rec)
            if (id !== undefined) p.id = id
            problems.push(p)
            if (problems.length <= MAX_PROBLEM_LOGS) log.warn(`HR record skipped: ${problem}`, { page: p.page, index: i, ...(id !== undefined ? { id } : {}), record: p.preview })
          }
        }
        if (problems.length > MAX_PROBLEM_LOGS) log.warn(`${problems.length} HR records skipped in total (first ${MAX_PROBLEM_LOGS} logged)`)
        complete = problems.length === 0
      } finally {
        ctl.abort()
      }
    }

    return { persons: persons(), problems, complete: () => complete, pages: () => pages }
  }

  const check = (rec: JsonValue | undefined, t: Date): string | undefined => {
    if (rec === undefined || !isJsonObject(rec)) return `not an object (${rec === null ? 'null' : Array.isArray(rec) ? 'array' : typeof rec})`
    try {
      lifecycle(rec, t)
    } catch (err) {
      if (err instanceof HrRecordError) return err.message
      throw err
    }
    return undefined
  }

  return {
    config,
    lifecycle: (person) => lifecycle(person, now()),
    stream,
    async collect (signal) {
      const s = stream(signal)
      const persons: JsonObject[] = []
      for await (const p of s.persons) persons.push(p)
      return { persons, problems: [...s.problems], pages: s.pages(), complete: s.complete(), baseUrl: client.baseUrl }
    }
  }
}

function resultsOf (body: unknown, paths: readonly PathSegment[][], url: string, configured: string | undefined): readonly JsonValue[] {
  if (configured === undefined && Array.isArray(body)) return body as JsonValue[]
  for (const p of paths) {
    const v = getPath(body as JsonValue, p)
    if (Array.isArray(v)) return v
  }
  throw new HrCollectError(`no records array at ${configured ?? 'd.results / value'} in the answer of ${url}`)
}

function nextOf (body: unknown, paths: readonly PathSegment[][]): string | undefined {
  for (const p of paths) {
    const v = getPath(body as JsonValue, p)
    if (typeof v === 'string' && v !== '') return v
  }
  return undefined
}

function idOf (rec: JsonValue | undefined): string | undefined {
  if (rec === undefined || !isJsonObject(rec)) return undefined
  for (const k of ID_KEYS) {
    const v = rec[k]
    if (typeof v === 'string' || typeof v === 'number') return String(v)
  }
  return undefined
}

function preview (rec: JsonValue | undefined): string {
  const s = JSON.stringify(rec) ?? 'undefined'
  return s.length > 200 ? `${s.slice(0, 200)}…` : s
}
