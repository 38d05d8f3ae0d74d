// parseStreamMessage from fixtures/messages.yaml: malformed messages are PermanentMessageErrors
// with a reason; valid ones come out typed and normalised.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { isPermanentMessageError, parseStreamMessage } from '../message.ts'
import { classifyError } from './classify.ts'
import type { JsonObject } from '../../scim/types.ts'

interface Row {
  name: string
  raw?: string
  rawBytes?: number[]
  body?: JsonObject
  msgId?: string | null
  subject?: string
  error?: string
  expect?: JsonObject
}

const rows = parse(readFileSync(new URL('./fixtures/messages.yaml', import.meta.url), 'utf8')) as Row[]

for (const r of rows) {
  test(`message: ${r.name}`, () => {
    const data = r.rawBytes !== undefined ? new Uint8Array(r.rawBytes) : r.raw ?? new TextEncoder().encode(JSON.stringify(r.body))
    const headers = { subject: r.subject ?? 'ENTRA.ALL', ...(r.msgId === null ? {} : { msgId: r.msgId ?? 'm-1' }) }
    if (r.error !== undefined) {
      assert.throws(() => parseStreamMessage(data, headers), (e: unknown) => {
        assert.ok(isPermanentMessageError(e), String(e))
        assert.ok(e.reason.includes(r.error ?? ''), `reason ${JSON.stringify(e.reason)} lacks ${JSON.stringify(r.error)}`)
        assert.equal(classifyError(e), 'permanent')
        return true
      })
      return
    }
    assert.deepEqual(parseStreamMessage(data, headers), r.expect)
  })
}
