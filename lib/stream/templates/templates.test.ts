// Template functions from fixtures/templates.yaml, with a stand-in endpoint built from each row's
// `taken` values (the real-endpoint behaviour is in endpoint.test.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { evaluateTemplate, looksLikeTemplate, parseTemplate, type TemplateEndpoint } from './index.ts'
import { isPermanentMessageError } from '../message.ts'
import type { JsonObject } from '../../scim/types.ts'

interface Row {
  name: string
  template: string
  user: JsonObject
  target?: string
  taken?: Record<string, string[]>
  expect?: string
  absent?: boolean
  error?: string
  literal?: boolean
}

const rows = parse(readFileSync(new URL('./fixtures/templates.yaml', import.meta.url), 'utf8')) as Row[]

function standIn (taken: Record<string, string[]>): TemplateEndpoint {
  const get = (attr: string): string[] => taken[attr] ?? []
  return {
    async isTaken (attr, value) { return get(attr).some(v => v.toLowerCase() === value.toLowerCase()) },
    async valuesOf (attr) { return get(attr) }
  }
}

test('template table has at least 30 cases', () => { assert.ok(rows.length >= 30, `${rows.length} rows`) })

for (const r of rows) {
  test(`template: ${r.name}`, async () => {
    if (r.literal === true) {
      assert.equal(looksLikeTemplate(r.template), false)
      return
    }
    assert.equal(looksLikeTemplate(r.template), true)
    const ctx = { user: r.user, target: r.target ?? 'userName', ...(r.taken !== undefined ? { endpoint: standIn(r.taken) } : {}) }
    const run = async (): Promise<unknown> => await evaluateTemplate(parseTemplate(r.template), ctx, r.template)
    if (r.error !== undefined) {
      await assert.rejects(run, (e: unknown) => {
        assert.ok(isPermanentMessageError(e), `not a PermanentMessageError: ${String(e)}`)
        assert.ok(e.reason.includes(r.error ?? ''), `reason ${JSON.stringify(e.reason)} lacks ${JSON.stringify(r.error)}`)
        return true
      })
      return
    }
    const got = await run()
    if (r.absent === true) assert.equal(got, undefined)
    else assert.equal(got, r.expect)
  })
}
