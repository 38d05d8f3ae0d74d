// Tests for the winston-backed logger: per-transport levels, rotation, child meta, masking in the
// written file, JSON lines and the push channel. Every test uses its own temp dir.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { createLogger } from './logger.ts'
import { createLogPush, type LogEntry } from './push.ts'

const root = mkdtempSync(join(tmpdir(), 'logging-test-'))
after(() => { rmSync(root, { recursive: true, force: true }) })
let n = 0
const tempDir = (): string => join(root, `t${++n}`)

/** A console stream that collects what was written. */
function capture (): { stream: PassThrough, text: () => string } {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => { chunks.push(c) })
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') }
}

const BASIC = 'Basic Z3dhZG1pbjpwYXNzd29yZA=='
const SECRET = 'S3cr3t-Pa55w0rd'

test('console and file have their own levels', async () => {
  const dir = tempDir()
  const con = capture()
  const log = createLogger({ name: 'plugin-loki', console: 'error', consoleStream: con.stream, file: { level: 'debug', path: join(dir, 'gw.log') } })
  log.debug('dbg-line')
  log.info('info-line')
  log.warn('warn-line')
  log.error('error-line')
  await log.close()
  const file = readFileSync(join(dir, 'gw.log'), 'utf8')
  for (const s of ['dbg-line', 'info-line', 'warn-line', 'error-line']) assert.ok(file.includes(s), `file lacks ${s}`)
  const out = con.text()
  assert.ok(out.includes('error-line'))
  for (const s of ['dbg-line', 'info-line', 'warn-line']) assert.ok(!out.includes(s), `console has ${s}`)
})

test('levels off write nothing and do not create the file', async () => {
  const dir = tempDir()
  const con = capture()
  const log = createLogger({ name: 'p', console: 'off', consoleStream: con.stream, file: { level: 'off', path: join(dir, 'gw.log') } })
  log.error('nothing')
  await log.close()
  assert.equal(con.text(), '')
  assert.throws(() => readdirSync(dir))
})

test('every line carries timestamp, level, name and child meta', async () => {
  const dir = tempDir()
  const log = createLogger({ name: 'plugin-ldap', console: 'off', file: { level: 'info', path: join(dir, 'gw.log') } })
  const req = log.child({ requestId: 'req-1', baseEntity: 'clientA' })
  req.child({ op: 'getUsers' }).info('handled', { status: 200 })
  log.info('no meta')
  await log.close()
  const lines = readFileSync(join(dir, 'gw.log'), 'utf8').trim().split('\n')
  assert.equal(lines.length, 2)
  assert.match(lines[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z plugin-ldap info: handled \{.*\}$/)
  const meta = JSON.parse((lines[0] ?? '').replace(/^.*? handled /, '')) as Record<string, unknown>
  assert.deepEqual(meta, { requestId: 'req-1', baseEntity: 'clientA', op: 'getUsers', status: 200 })
  assert.match(lines[1] ?? '', /plugin-ldap info: no meta$/)
})

test('json lines', async () => {
  const dir = tempDir()
  const log = createLogger({ name: 'plugin-x', console: 'off', json: true, file: { level: 'debug', path: join(dir, 'gw.log') } })
  log.child({ requestId: 'r9' }).warn('careful', { level: 'forged', password: SECRET })
  await log.close()
  const obj = JSON.parse(readFileSync(join(dir, 'gw.log'), 'utf8').trim()) as Record<string, unknown>
  assert.equal(obj.level, 'warn')
  assert.equal(obj.name, 'plugin-x')
  assert.equal(obj.message, 'careful')
  assert.equal(obj.requestId, 'r9')
  assert.equal(obj.password, '********')
  assert.equal(typeof obj.time, 'string')
})

test('secrets never reach the log file', async () => {
  const dir = tempDir()
  const con = capture()
  const log = createLogger({ name: 'p', console: 'debug', consoleStream: con.stream, customMasking: ['ssn'], file: { level: 'debug', path: join(dir, 'gw.log') } })
  const req = log.child({ authorization: BASIC, requestId: 'r1' })
  req.info(`Authorization: ${BASIC}`)
  req.debug(`body {"userName":"bjensen","password":"${SECRET}","ssn":"123-45-6789"}`)
  req.debug('patch', { body: { Operations: [{ op: 'replace', path: 'password', value: SECRET }] } })
  req.error(`login https://admin:${SECRET}@ldap.example.com failed`, { err: new Error(`bad password=${SECRET}`) })
  await log.close()
  const file = readFileSync(join(dir, 'gw.log'), 'utf8')
  for (const text of [file, con.text()]) {
    assert.equal(text.trim().split('\n').length, 4)
    assert.ok(!text.includes(SECRET), 'secret leaked')
    assert.ok(!text.includes('Z3dhZG1pbjpwYXNzd29yZA'), 'basic credential leaked')
    assert.ok(!text.includes('123-45-6789'), 'custom masked attribute leaked')
    assert.ok(text.includes('bjensen') && text.includes('********'))
  }
})

test('file rotates at maxSize and keeps at most maxFiles files', async () => {
  const dir = tempDir()
  const log = createLogger({ name: 'p', console: 'off', file: { level: 'info', path: join(dir, 'gw.log'), maxSize: 2048, maxFiles: 3 } })
  const pad = 'x'.repeat(100)
  for (let i = 0; i < 400; i++) log.info(`line ${i} ${pad}`)
  await log.close()
  const files = readdirSync(dir).sort()
  assert.ok(files.includes('gw.log'), `files: ${files.join(',')}`)
  assert.ok(files.length >= 2, `no rotation happened: ${files.join(',')}`)
  assert.ok(files.length <= 3, `more than maxFiles: ${files.join(',')}`)
  for (const f of files) assert.ok(readFileSync(join(dir, f)).length <= 2048 + 200, `${f} too big`)
  // tailable: the newest lines are in gw.log
  assert.ok(readFileSync(join(dir, 'gw.log'), 'utf8').includes('line 399 '))
})

test('push subscribers receive masked lines at the written levels', async () => {
  const push = createLogPush()
  const got: LogEntry[] = []
  const log = createLogger({ name: 'plugin-loki', console: 'off', file: undefined, push, pushLevel: 'info' })
  log.info('before subscribe')
  const unsubscribe = push.subscribe(e => { got.push(e) })
  log.child({ requestId: 'r2' }).info(`token=${SECRET}`, { client_secret: SECRET })
  log.debug('too verbose')
  await new Promise(resolve => setImmediate(resolve))
  unsubscribe()
  log.info('after unsubscribe')
  await new Promise(resolve => setImmediate(resolve))
  await log.close()
  assert.equal(got.length, 1)
  const e = got[0]
  assert.ok(e !== undefined)
  assert.equal(e.level, 'info')
  assert.equal(e.name, 'plugin-loki')
  assert.equal(e.message, 'token=********')
  assert.deepEqual(e.meta, { requestId: 'r2', client_secret: '********' })
  assert.ok(e.line.includes('plugin-loki info: token=********'))
  assert.ok(!JSON.stringify(got).includes(SECRET))
})

test('nothing is logged after close', async () => {
  const dir = tempDir()
  const log = createLogger({ name: 'p', console: 'off', file: { level: 'info', path: join(dir, 'gw.log') } })
  log.info('one')
  await log.close()
  log.info('two') // must not throw (write after end)
  await log.close()
  assert.equal(readFileSync(join(dir, 'gw.log'), 'utf8').trim().split('\n').length, 1)
})
