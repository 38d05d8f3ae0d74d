// Starting a gateway the way a user does, for end-to-end tests: a child process running a small
// entry script (runGateway(<plugin>)) with its own SCIM_CONFIG_DIR and PORT; temp config directories
// are removed by cleanup(). Used by the plugin "run" tests (generic, entra-id).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('../../', import.meta.url).pathname

export interface ChildGateway {
  /** Resolves with the exit code and stderr when the process ends. */
  done: Promise<{ code: number | null, stderr: string }>
  kill: () => void
}

/** A free loopback port (closed again before it is returned). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => { resolve(port) })
    })
  })
}

/** Temp config directories holding one `plugin-<name>.json` each. */
export function configDirs (prefix: string): { write: (file: string, config: unknown) => string, cleanup: () => void } {
  const dirs: string[] = []
  return {
    write (file, config) {
      const dir = mkdtempSync(join(tmpdir(), prefix))
      dirs.push(dir)
      writeFileSync(join(dir, file), JSON.stringify(config, null, 2))
      return dir
    },
    cleanup () { for (const d of dirs) rmSync(d, { recursive: true, force: true }) }
  }
}

/** Runs `script` (relative to the repository) with SCIM_CONFIG_DIR=dir and SEED set. */
export function startChild (script: string, dir: string, env: Record<string, string> = {}): ChildGateway {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env: { ...process.env, SCIM_CONFIG_DIR: dir, SEED: 'test-seed', ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const done = new Promise<{ code: number | null, stderr: string }>(resolve => { child.on('exit', code => { resolve({ code, stderr }) }) })
  return { done, kill: () => { child.kill('SIGTERM') } }
}

/** Fetches until the server answers (or the deadline passes). */
export async function waitFor (url: string, init: RequestInit, deadlineMs = 20_000): Promise<Response> {
  const end = Date.now() + deadlineMs
  for (;;) {
    try { return await fetch(url, init) } catch (e) { if (Date.now() > end) throw e }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}
