// Benchmark of plugin-loki at the plugin level (no HTTP): createUser (memory, and journal with
// fsync at concurrency 1 and 50), get by id, get by userName filter and a 100-user page with 10,000
// users, journal load time, and RSS after loading 10,000 users. A program, not a test:
//   npx tsx bench/loki.bench.ts            (add --expose-gc via NODE_OPTIONS for steadier RSS)
import { cpus, tmpdir } from 'node:os'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createLokiPlugin, type LokiOptions } from '../lib/plugins/plugin-loki.ts'
import { silentLogger } from '../lib/logging/types.ts'
import type { GetQuery, PluginContext, ScimPlugin, ScimResource } from '../lib/plugins/types.ts'

const USERS = 10_000
const ctx: PluginContext = { baseEntity: undefined, log: silentLogger, signal: new AbortController().signal, requestId: 'bench' }

function userOf (i: number): ScimResource {
  const userName = `user${i}@example.com`
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
    userName,
    externalId: `ext-${i}`,
    active: true,
    displayName: `User Number ${i}`,
    name: { givenName: 'User', familyName: `Number ${i}`, formatted: `User Number ${i}` },
    emails: [{ value: userName, type: 'work', primary: true }],
    phoneNumbers: [{ value: `+1 555 ${String(i).padStart(6, '0')}`, type: 'work' }],
    title: 'Engineer',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: String(i), department: `Dept ${i % 50}` }
  }
}

function need<T> (v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`plugin lacks ${what}`)
  return v
}

/** Runs `op` `total` times with `concurrency` in flight; returns ops/s. */
async function rate (total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) { const i = next++; await op(i) }
  }))
  return total / ((performance.now() - t0) / 1000)
}

async function started (opts: LokiOptions): Promise<ScimPlugin> {
  const p = createLokiPlugin(opts)
  await p.start?.(silentLogger)
  return p
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(10)
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`
const gc = (): void => { (globalThis as { gc?: () => void }).gc?.() }

async function main (): Promise<void> {
  console.log(`plugin-loki bench — node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, ${USERS.toLocaleString('en-US')} users`)
  console.log('method: plugin methods called directly in-process; ops/s over the whole run; RSS after GC when --expose-gc')
  const dir = await mkdtemp(join(tmpdir(), 'loki-bench-'))
  try {
    // createUser, memory
    const mem = await started({ persistence: 'memory', demoData: false })
    const createMem = need(mem.createUser, 'createUser')
    const rCreateMem = await rate(USERS, 50, async i => await createMem(userOf(i), ctx))
    const getUsers = need(mem.getUsers, 'getUsers')
    const ids: string[] = (await getUsers({ attributes: [], excludedAttributes: [], startIndex: 1 }, ctx)).Resources.map(r => String(r.id))
    const byId = (id: string): GetQuery => ({ attributes: [], excludedAttributes: [], startIndex: 1, count: 1, simple: { attribute: 'id', operator: 'eq', value: id }, filter: { type: 'compare', path: { attr: 'id' }, op: 'eq', value: id } })
    const byName = (n: string): GetQuery => ({ attributes: [], excludedAttributes: [], startIndex: 1, simple: { attribute: 'userName', operator: 'eq', value: n }, filter: { type: 'compare', path: { attr: 'userName' }, op: 'eq', value: n } })
    const page: GetQuery = { attributes: [], excludedAttributes: [], startIndex: 1, count: 100 }
    const rGetId = await rate(200_000, 50, async i => await getUsers(byId(ids[i % ids.length] ?? ''), ctx))
    const rGetName = await rate(200_000, 50, async i => await getUsers(byName(`user${i % USERS}@example.com`), ctx))
    const rPage = await rate(20_000, 50, async () => await getUsers(page, ctx))
    await mem.stop?.()

    // createUser, journal with fsync (group commit)
    const file = join(dir, 'loki.db')
    const disk = await started({ persistence: { file }, demoData: false })
    const createDisk = need(disk.createUser, 'createUser')
    const rCreate1 = await rate(500, 1, async i => await createDisk(userOf(1_000_000 + i), ctx))
    const rCreate50 = await rate(USERS - 500, 50, async i => await createDisk(userOf(i), ctx))
    await disk.stop?.()
    const size = (await stat(file)).size

    // load the 10,000 users from the journal in a fresh process and measure its RSS
    const load = await loadInChild(file)

    console.log(`createUser, memory, 50 in flight        ${fmt(rCreateMem)} ops/s`)
    console.log(`createUser, journal+fsync, 1 in flight  ${fmt(rCreate1)} ops/s`)
    console.log(`createUser, journal+fsync, 50 in flight ${fmt(rCreate50)} ops/s`)
    console.log(`getUsers id eq                          ${fmt(rGetId)} ops/s`)
    console.log(`getUsers userName eq                    ${fmt(rGetName)} ops/s`)
    console.log(`getUsers page of 100 (exact)            ${fmt(rPage)} ops/s`)
    console.log(`journal: ${mb(size)} for ${load.users.toLocaleString('en-US')} users, loaded in ${load.ms.toFixed(0)} ms by a fresh process`)
    console.log(`RSS of that process: ${mb(load.rssEmpty)} before start(), ${mb(load.rss)} after loading (heap used ${mb(load.heapUsed)})`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

interface LoadFigures { users: number, ms: number, rssEmpty: number, rss: number, heapUsed: number }

/** Child-process side: load the journal, print figures as JSON. */
async function loadOnly (file: string): Promise<void> {
  gc()
  const rssEmpty = process.memoryUsage().rss
  const t0 = performance.now()
  const p = await started({ persistence: { file }, demoData: false })
  const ms = performance.now() - t0
  gc()
  const { rss, heapUsed } = process.memoryUsage()
  const users = (await need(p.getUsers, 'getUsers')({ attributes: [], excludedAttributes: [], startIndex: 1, count: 1 }, ctx)).exact?.totalResults ?? 0
  await p.stop?.()
  const figures: LoadFigures = { users, ms, rssEmpty, rss, heapUsed }
  process.stdout.write(JSON.stringify(figures) + '\n')
}

async function loadInChild (file: string): Promise<LoadFigures> {
  const { spawnSync } = await import('node:child_process')
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', import.meta.filename, '--load', file], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`load child failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as LoadFigures
}

const loadArg = process.argv.indexOf('--load')
const run = loadArg >= 0 ? loadOnly(process.argv[loadArg + 1] ?? '') : main()
run.catch(e => { console.error(e); process.exit(1) })
