// The 16 Entra ID request/response pairs of Microsoft's SCIM provisioning tutorial, replayed in order
// against a real gateway (plugin-loki, empty store, real HTTP on a free port). One loop drives the table.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { startTestGateway, type TestGateway } from '../support/gateway.ts'
import { bearerTokenAuthenticator } from '../../lib/auth/index.ts'

interface Step {
  name: string
  request: { method: string, path: string, body?: unknown }
  expect: { status: number[], body?: unknown, absent?: string[] }
  save?: Record<string, string>
  verify?: { path: string, body?: unknown, absent?: string[], status?: number }
}
const table = JSON.parse(readFileSync(new URL('./entra-tutorial.json', import.meta.url), 'utf8')) as { steps: Step[] }
const TOKEN = 'tutorial-token'
const vars = new Map<string, string>()
let gw: TestGateway

function fill<T> (v: T): T {
  return JSON.parse(JSON.stringify(v).replace(/\{\{(\w+)\}\}/g, (_, k: string) => vars.get(k) ?? `{{${k}}}`)) as T
}

/** `actual` contains `expected`: objects by key, arrays element-wise by position. */
function assertSubset (actual: unknown, expected: unknown, where: string): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array, got ${JSON.stringify(actual)}`)
    assert.equal(actual.length, expected.length, `${where}: array length`)
    expected.forEach((e, i) => { assertSubset(actual[i], e, `${where}[${i}]`) })
  } else if (typeof expected === 'object' && expected !== null) {
    assert.ok(typeof actual === 'object' && actual !== null, `${where}: expected an object, got ${JSON.stringify(actual)}`)
    for (const [k, v] of Object.entries(expected)) assertSubset((actual as Record<string, unknown>)[k], v, `${where}.${k}`)
  } else {
    assert.deepEqual(actual, expected, where)
  }
}

async function call (method: string, path: string, body?: unknown): Promise<{ status: number, json: unknown }> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' } }
  if (body !== undefined) init.body = JSON.stringify(body)
  const res = await fetch(gw.url + path.replace(/ /g, '%20').replace(/"/g, '%22'), init)
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
}

before(async () => { gw = await startTestGateway({ options: { authenticators: [bearerTokenAuthenticator([{ token: TOKEN }])] } }) })
after(async () => { await gw.stop() })

for (const raw of table.steps) {
  test(`Entra tutorial: ${raw.name}`, async () => {
    const step = fill(raw)
    const res = await call(step.request.method, step.request.path, step.request.body)
    assert.ok(step.expect.status.includes(res.status), `status ${res.status}, expected ${step.expect.status.join(' or ')}: ${JSON.stringify(res.json)}`)
    if (step.expect.body !== undefined) assertSubset(res.json, fill(step.expect.body), 'body')
    for (const a of step.expect.absent ?? []) assert.equal((res.json as Record<string, unknown>)[a], undefined, `${a} must be absent`)
    for (const [name, key] of Object.entries(step.save ?? {})) {
      const v = (res.json as Record<string, unknown>)[key]
      assert.equal(typeof v, 'string', `response ${key} to save`)
      vars.set(name, v as string)
    }
    if (step.verify !== undefined) {
      const v = fill(step.verify)
      const got = await call('GET', v.path)
      assert.equal(got.status, v.status ?? 200, `verify GET ${v.path}`)
      if (v.body !== undefined) assertSubset(got.json, v.body, 'verify body')
      for (const a of v.absent ?? []) {
        const val = (got.json as Record<string, unknown>)[a]
        assert.ok(val === undefined || (Array.isArray(val) && val.length === 0), `${a} must be absent or empty, got ${JSON.stringify(val)}`)
      }
    }
  })
}
