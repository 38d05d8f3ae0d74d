// Issue 12 defect 1: JSON nested deeper than the limit is refused with 400 invalidSyntax before
// anything walks it — HTTP bodies (POST /Users with the journal on, PUT, PATCH, Bulk), stream
// messages and GW envelopes. Before the fix these answered 500 "Maximum call stack size exceeded".
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { parseStreamMessage, isPermanentMessageError } from '../../lib/stream/message.ts'
import { decodeRequest } from '../../lib/stream/publisher/envelope.ts'
import { jsonNestingDepth, parseJsonLimited } from '../../lib/util/json.ts'
import { harness, user, type Harness } from '../core/support.ts'

const dir = await mkdtemp(join(tmpdir(), 'i12-depth-'))
const plugins: Array<{ stop?: () => Promise<void> }> = []
after(async () => {
  for (const p of plugins) await p.stop?.()
  await rm(dir, { recursive: true, force: true })
})

/** `{"x":{"x":…{}}}` nested `levels` deep, as text (JSON.stringify itself would overflow). */
function nestedText (levels: number): string {
  return '{"x":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1)
}
function nestedUser (levels: number): string {
  return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"deep${levels}","deep":${nestedText(levels - 1)}}`
}

async function journalled (options: Record<string, unknown> = {}): Promise<Harness> {
  const plugin = createLokiPlugin({ persistence: { file: join(dir, `loki-${plugins.length}.db`) }, demoData: false, entities: ['clientA', 'clientB'] })
  plugins.push(plugin)
  return await harness({ plugin, options })
}

const h = await journalled()

test('POST /Users nested 4,000 levels (journal on) → 400 invalidSyntax, not 500', async () => {
  const r = await h.json<{ scimType: string, detail: string }>('POST', '/Users', nestedUser(4000))
  assert.equal(r.status, 400)
  assert.equal(r.body.scimType, 'invalidSyntax')
  assert.match(r.body.detail, /deeper than 64/)
})

test('PUT and PATCH with a deep body → 400 invalidSyntax', async () => {
  const created = await h.json<{ id: string }>('POST', '/Users', user('shallow-put'))
  assert.equal(created.status, 201)
  const put = await h.json<{ scimType: string }>('PUT', `/Users/${created.body.id}`, nestedUser(500))
  assert.equal(put.status, 400)
  assert.equal(put.body.scimType, 'invalidSyntax')
  const patch = await h.json<{ scimType: string }>('PATCH', `/Users/${created.body.id}`,
    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"title","value":${nestedText(300)}}]}`)
  assert.equal(patch.status, 400)
  assert.equal(patch.body.scimType, 'invalidSyntax')
})

test('Bulk whose data is nested 2,000 levels → 400 invalidSyntax, nothing written', async () => {
  const body = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Users","bulkId":"a","data":${nestedUser(2000)}}]}`
  const r = await h.json<{ scimType: string }>('POST', '/Bulk', body)
  assert.equal(r.status, 400)
  assert.equal(r.body.scimType, 'invalidSyntax')
  const list = await h.json<{ totalResults: number }>('GET', '/Users?filter=userName eq "deep2000"')
  assert.equal(list.body.totalResults, 0)
})

test('a body at the limit is accepted and stored', async () => {
  const r = await h.json<{ id: string, deep: unknown }>('POST', '/Users', nestedUser(64))
  assert.equal(r.status, 201)
  assert.equal(jsonNestingDepth(JSON.stringify(r.body.deep)), 63)
})

test('scimgateway.jsonMaxDepth is honoured (jsonMaxDepth: 8)', async () => {
  const small = await journalled({ jsonMaxDepth: 8 })
  const deep = await small.json<{ scimType: string, detail: string }>('POST', '/Users', nestedUser(9))
  assert.equal(deep.status, 400)
  assert.match(deep.body.detail, /deeper than 8/)
  const ok = await small.json('POST', '/Users', nestedUser(8))
  assert.equal(ok.status, 201)
})

test('a stream message nested too deep is a permanent error (dead-lettered), not a crash', () => {
  const body = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Stream"],"activityOperation":"createUser","user":${nestedUser(5000)}}`
  assert.throws(() => parseStreamMessage(body, { msgId: 'm1', subject: 'ENTRA.test' }), (e: unknown) => isPermanentMessageError(e) && /deeper than 64/.test((e as Error).message))
})

test('a GW envelope nested too deep is refused as not JSON', () => {
  const env = new TextEncoder().encode(`{"v":1,"id":"x","method":"POST","origin":"http://p","path":"/Users","query":"","headers":${nestedText(3000)},"body":null}`)
  assert.throws(() => decodeRequest(env), /deeper than 64/)
})

test('the depth scan ignores brackets inside strings and escapes', () => {
  assert.equal(jsonNestingDepth('{"a":"[[[{{{\\"[[["}'), 1)
  assert.equal(jsonNestingDepth('[[1],[[2]]]'), 3)
  assert.deepEqual(parseJsonLimited('{"a":"[[[["}', 1), { a: '[[[[' })
  assert.throws(() => parseJsonLimited('[[[]]]', 2), /deeper than 2/)
  assert.throws(() => parseJsonLimited('{"a":', 64), (e: unknown) => (e as { kind?: string }).kind === 'syntax')
})
