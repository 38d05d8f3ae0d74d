// Where Microsoft's SCIM validation collection is: ENTRA_SCIM_COLLECTION when set, else the copy kept
// beside the project (../shared/conformance, as CI lays it out). Tests skip, saying this, when neither exists.
// runEntraCollection runs it with newman against a gateway app, as every conformance test does.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

export function entraCollectionPath (): string {
  const env = process.env.ENTRA_SCIM_COLLECTION
  if (env !== undefined && env !== '') return env
  return fileURLToPath(new URL('../../../shared/conformance/entra-scim-reference.postman_collection.json', import.meta.url))
}

/** false when the collection is there, else the reason to skip. */
export function entraCollectionSkip (): false | string {
  const p = entraCollectionPath()
  return existsSync(p) ? false : `Microsoft's collection not found at ${p}: set ENTRA_SCIM_COLLECTION to PostmanCollection.json of AzureAD/SCIMReferenceCode`
}

/** What one run of the collection gave: failures as `<request>: <test> <message>`, and the counts. */
export interface CollectionResult { failures: string[], assertions: number, failedAssertions: number, failedRequests: number }

interface NewmanFailure { error: { message: string, test?: string }, source?: { name?: string } }
interface NewmanSummary { run: { failures: NewmanFailure[], stats: { assertions: { total: number, failed: number }, requests: { total: number, failed: number } } } }
type NewmanRun = (opts: Record<string, unknown>, cb: (err: Error | null, summary: NewmanSummary) => void) => void

/**
 * Runs Microsoft's collection with newman against `app` (a gateway's `fetch`) on a free loopback
 * port, as `/scim`. The collection's first request, GET /scim/Token, is answered here with `token`,
 * which the app must accept as a Bearer token.
 * @example const r = await runEntraCollection(gw.gateway.app, TOKEN); assert.deepEqual(r.failures, [])
 */
export async function runEntraCollection (app: { fetch: (req: Request) => Response | Promise<Response> }, token: string): Promise<CollectionResult> {
  const front = new Hono()
  front.get('/scim/Token', (c) => c.json({ token }))
  front.all('*', async (c) => await app.fetch(c.req.raw))
  const server = serve({ fetch: front.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise<void>(resolve => { server.once('listening', resolve) })
  const port = (server.address() as AddressInfo).port
  try {
    const newman = createRequire(import.meta.url)('newman') as { run: NewmanRun }
    const summary = await new Promise<NewmanSummary>((resolve, reject) => {
      newman.run({
        collection: entraCollectionPath(),
        envVar: [
          { key: 'Protocol', value: 'http' },
          { key: 'Server', value: '127.0.0.1' },
          { key: 'Port', value: `:${port}` },
          { key: 'Api', value: 'scim' }
        ],
        reporters: [],
        timeoutRequest: 10_000
      }, (err, s) => { if (err !== null) reject(err); else resolve(s) })
    })
    return {
      failures: summary.run.failures.map(f => `${f.source?.name ?? '?'}: ${f.error.test ?? ''} ${f.error.message}`),
      assertions: summary.run.stats.assertions.total,
      failedAssertions: summary.run.stats.assertions.failed,
      failedRequests: summary.run.stats.requests.failed
    }
  } finally {
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }
}
