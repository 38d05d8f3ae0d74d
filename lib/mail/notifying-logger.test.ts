// Tests that error lines (and only those) reach the notifier, with child meta, and are still logged.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { withErrorNotifier } from './notifying-logger.ts'
import type { ErrorNotifier } from './notifier.ts'
import type { LogMeta } from '../logging/types.ts'
import { createMemoryLogger } from '../logging/memory.ts'

test('error lines are logged and notified with the child meta; other levels only logged', async () => {
  const notified: Array<{ message: string, meta: LogMeta | undefined }> = []
  const notifier: ErrorNotifier = { notify: (message, meta) => { notified.push({ message, meta }) }, close: async () => {} }
  const mem = createMemoryLogger()
  const log = withErrorNotifier(mem, notifier).child({ baseEntity: 'clientA' })
  log.info('fine')
  log.warn('hmm')
  log.error('createUser failed', { status: 500 })
  assert.deepEqual(notified, [{ message: 'createUser failed', meta: { baseEntity: 'clientA', status: 500 } }])
  assert.deepEqual(mem.lines.map(l => [l.level, l.message]), [['info', 'fine'], ['warn', 'hmm'], ['error', 'createUser failed']])
  assert.deepEqual(mem.lines[2]?.meta, { baseEntity: 'clientA', status: 500 })
})
