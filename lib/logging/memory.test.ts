// Tests for the capturing test logger and the level gate shared with the real logger.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createMemoryLogger } from './memory.ts'
import { createLogger } from './logger.ts'

test('captures masked lines with child meta', () => {
  const log = createMemoryLogger({ customMasking: ['ssn'] })
  log.child({ requestId: 'r1', token: 'abc' }).info('login password=pw1', { user: { ssn: '1', name: 'x' } })
  assert.deepEqual(log.lines, [{ level: 'info', message: 'login password=********', meta: { requestId: 'r1', token: '********', user: { ssn: '********', name: 'x' } } }])
  log.clear()
  assert.equal(log.lines.length, 0)
})

test('respects its level', () => {
  const log = createMemoryLogger({ level: 'warn' })
  log.debug('d')
  log.info('i')
  log.warn('w')
  log.error('e')
  assert.deepEqual(log.lines.map(l => l.level), ['warn', 'error'])
})

test('a disabled level neither masks nor formats (meta is not even read)', async () => {
  let touched = 0
  const meta = { get body () { touched++; return 'x' } }
  const mem = createMemoryLogger({ level: 'info' })
  mem.debug('skip', meta)
  const real = createLogger({ name: 'p', console: 'off' })
  real.child({ requestId: 'r' }).info('skip', meta)
  await real.close()
  assert.equal(touched, 0)
  mem.info('keep', meta)
  assert.equal(touched, 1)
})
