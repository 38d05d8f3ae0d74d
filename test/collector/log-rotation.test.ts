// The service's log file (builtin nats-server, real files): at start, rotated files older than
// log.max_age and numbers beyond log.max_backups are removed; while running, max_size rotates and
// max_backups rotated files are kept besides the current one.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import { freePort, makeWorkDir, waitFor, writeConfig } from './support.ts'

const DAY = 86_400_000
const MB = 1024 * 1024

describe('log rotation and retention of the service', () => {
  let dir: string
  let logs: string
  let svc: StreamService | undefined

  const rotated = async (): Promise<string[]> => (await readdir(logs)).filter(n => n.startsWith('scim-stream.log')).sort()

  before(async () => {
    dir = await makeWorkDir()
    logs = join(dir, 'logs')
    await mkdir(logs)
    const old = async (name: string, ageDays: number): Promise<void> => {
      const p = join(logs, name)
      await writeFile(p, `${name}\n`)
      const t = new Date(Date.now() - ageDays * DAY)
      await utimes(p, t, t)
    }
    await old('scim-stream.log.1', 1) // recent: kept
    await old('scim-stream.log.2', 10) // older than max_age 7: removed
    await old('scim-stream.log.5', 0) // beyond max_backups 2: removed
    await old('keep.txt', 400) // not a log file of the service
    const file = await writeConfig(dir, `entra:
  acme: {}
nats:
  server: { host: 127.0.0.1, port: ${await freePort()} }
log:
  console: false
  level: info
  file: logs/scim-stream.log
  max_size: 1
  max_backups: 2
  max_age: 7
`)
    svc = await startService({ configFile: file, runAtStart: false, watch: false })
  })

  after(async () => {
    await svc?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('at start, rotated files past max_age or beyond max_backups are removed; others stay', async () => {
    await waitFor(async () => (await rotated()).includes('scim-stream.log.2') ? undefined : true, 'the start sweep')
    const names = await rotated()
    assert.ok(names.includes('scim-stream.log.1'), names.join())
    assert.ok(!names.includes('scim-stream.log.5'), names.join())
    assert.ok((await readdir(logs)).includes('keep.txt'))
  })

  it('max_size rotates; max_backups rotated files are kept besides the current one', async () => {
    const s = svc as StreamService
    const line = 'x'.repeat(1000)
    for (let i = 0; i < 3500; i++) s.log.info(`filler ${i} ${line}`) // ~3.5 MB: three rotations of 1 MB
    await s.stop()
    const names = await rotated()
    assert.deepEqual(names, ['scim-stream.log', 'scim-stream.log.1', 'scim-stream.log.2'])
    for (const n of names) assert.ok((await stat(join(logs, n))).size <= MB, `${n} is at most max_size`)
    assert.ok((await stat(join(logs, 'scim-stream.log.2'))).size > MB / 2, 'the oldest kept file is a rotated one, not the pre-existing stub')
  })
})
