// Tests of the nats-server supervisor with a real nats-server: readiness, log capture, restart with
// back-off after a crash on the same port, stop() terminating the process, and a failing config.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger, LogMeta } from '../../logging/types.ts'
import { startNatsServer } from './index.ts'
import type { NatsServerHandle } from './index.ts'

describe('nats-server supervisor', () => {
  const dirs: string[] = []
  const handles: NatsServerHandle[] = []
  after(async () => {
    for (const h of handles) await h.stop()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  async function plainConfig (extra = ''): Promise<{ dir: string, configFile: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'scim-nats-sup-'))
    dirs.push(dir)
    const configFile = join(dir, 'nats.conf')
    // the supervisor does not care about auth/TLS: a minimal config keeps this test about processes
    await writeFile(configFile, `server_name: "SCIM-Stream"\nhost: "127.0.0.1"\nport: -1\njetstream { store_dir: ${JSON.stringify(join(dir, 'js'))} }\n${extra}`)
    return { dir, configFile }
  }

  it('starts, reports port and pid, and forwards the server log', async () => {
    const { dir, configFile } = await plainConfig()
    const log = capturingLogger()
    const h = await startNatsServer({ configFile, storeDir: join(dir, 'js'), log, restart: false })
    handles.push(h)
    assert.ok(h.port > 0)
    assert.equal(h.url, `nats://127.0.0.1:${h.port}`)
    assert.ok(h.pid !== undefined)
    assert.ok(log.lines.some(l => l.includes('Server is ready')))
  })

  it('restarts a killed server on the same port', async () => {
    const { dir, configFile } = await plainConfig()
    const log = capturingLogger()
    const h = await startNatsServer({ configFile, storeDir: join(dir, 'js'), log })
    handles.push(h)
    const { pid: firstPid, port } = h
    assert.ok(firstPid !== undefined)
    process.kill(firstPid, 'SIGKILL')
    await until(() => h.restarts === 1 && h.pid !== undefined && h.pid !== firstPid)
    await h.ready()
    assert.equal(h.port, port)
    assert.ok(log.lines.some(l => l.startsWith('error: nats-server exited unexpectedly')))
  })

  it('stop() terminates the process and does not restart it', async () => {
    const { dir, configFile } = await plainConfig()
    const h = await startNatsServer({ configFile, storeDir: join(dir, 'js'), log: capturingLogger() })
    const pid = h.pid
    assert.ok(pid !== undefined)
    await h.stop()
    assert.throws(() => process.kill(pid, 0))
    await new Promise(resolve => setTimeout(resolve, 400)) // longer than the first back-off
    assert.equal(h.restarts, 0)
  })

  it('rejects with the server output when the config is broken', async () => {
    const { dir, configFile } = await plainConfig('this is not { valid')
    await assert.rejects(
      startNatsServer({ configFile, storeDir: join(dir, 'js'), log: capturingLogger() }),
      /exited before ready/
    )
  })

  it('rejects when the binary does not exist', async () => {
    const { dir, configFile } = await plainConfig()
    await assert.rejects(startNatsServer({ binary: join(dir, 'no-such-nats-server'), configFile, storeDir: join(dir, 'js'), log: capturingLogger() }))
  })
})

function capturingLogger (): Logger & { lines: string[] } {
  const lines: string[] = []
  const at = (level: string) => (m: string, _meta?: LogMeta): void => { lines.push(`${level}: ${m}`) }
  const log = { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: () => log }
  return log
}

async function until (cond: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
