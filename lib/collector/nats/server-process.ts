// Supervises a nats-server child process: spawn, wait for readiness (its "Server is ready" log line)
// with a deadline, forward its log to our logger, restart it with back-off when it dies, and stop it
// (SIGTERM, then SIGKILL). The client port is read from the server's log, so the config may say
// `port: -1`; restarts pin the port with `-p` so clients reconnect to the same address.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdirSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Logger } from '../../logging/types.ts'

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** nats-server binary (default: `nats-server` on PATH, then /usr/sbin/nats-server). */
  binary?: string
  configFile: string
  /** JetStream store directory of the config (created if missing). */
  storeDir: string
  log: Logger
  /** Restart with back-off when the process dies unexpectedly (default true). */
  restart?: boolean
  /** Deadline for readiness after each spawn (default 15 s). */
  readyTimeoutMs?: number
  /** Grace period between SIGTERM and SIGKILL in stop() (default 5 s). */
  stopTimeoutMs?: number
  /** Pin the client port (overrides the config's port). */
  port?: number
}

/** A running, supervised nats-server. */
export interface NatsServerHandle {
  /** `nats://host:port` for clients on this machine (TLS is negotiated from the server INFO). */
  readonly url: string
  readonly port: number
  /** Pid of the current process; undefined between a crash and its restart. */
  readonly pid: number | undefined
  /** How many times the supervisor restarted the server. */
  readonly restarts: number
  /** Resolves when the current (or next, after a crash) process is ready. */
  ready (timeoutMs?: number): Promise<void>
  /** Sends a signal to the current process (SIGHUP reloads the config). */
  signal (sig: NodeJS.Signals): void
  /** Stops supervising and terminates the process. */
  stop (): Promise<void>
}

const READY_LINE = 'Server is ready'
const LISTEN_RE = /Listening for client connections on (.+):(\d+)\s*$/
const LOG_RE = /^\[\d+\]\s+\S+\s+\S+\s+\[(\w+)\]\s+(.*)$/

/**
 * Spawns nats-server and resolves once it is ready.
 * @example const server = await startNatsServer({ configFile, storeDir, log })
 */
export async function startNatsServer (opts: NatsServerOptions): Promise<NatsServerHandle> {
  const sup = new Supervisor(opts)
  try {
    await sup.spawnAndWait()
  } catch (err) {
    await sup.stop()
    throw err
  }
  return sup
}

/** Finds the nats-server binary: PATH first, then /usr/sbin. */
export function findNatsServerBinary (): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(d => d !== ''), '/usr/sbin', '/usr/local/sbin']
  for (const d of dirs) {
    const p = join(d, 'nats-server')
    try { accessSync(p, constants.X_OK); return p } catch { /* next */ }
  }
  throw new Error('nats-server not found on PATH or in /usr/sbin (apt-get install nats-server)')
}

class Supervisor implements NatsServerHandle {
  #child: ChildProcess | undefined
  #port = 0
  #host = '127.0.0.1'
  #restarts = 0
  #stopping = false
  #backoffMs = 0
  #readyWaiters: (() => void)[] = []
  #isReady = false
  readonly #log: Logger
  readonly #binary: string
  readonly #onParentExit = (): void => { this.#child?.kill('SIGKILL') }

  constructor (readonly opts: NatsServerOptions) {
    this.#log = opts.log.child({ component: 'nats-server' })
    this.#binary = opts.binary ?? findNatsServerBinary()
    if (opts.port !== undefined) this.#port = opts.port
    mkdirSync(opts.storeDir, { recursive: true })
    process.on('exit', this.#onParentExit)
  }

  get url (): string { return `nats://${this.#host.includes(':') ? `[${this.#host}]` : this.#host}:${this.#port}` }
  get port (): number { return this.#port }
  get pid (): number | undefined { return this.#child?.pid }
  get restarts (): number { return this.#restarts }

  async ready (timeoutMs = 15_000): Promise<void> {
    if (this.#isReady) return
    await withTimeout(new Promise<void>(resolve => this.#readyWaiters.push(resolve)), timeoutMs, 'nats-server not ready')
  }

  signal (sig: NodeJS.Signals): void {
    this.#child?.kill(sig)
  }

  async stop (): Promise<void> {
    this.#stopping = true
    process.off('exit', this.#onParentExit)
    const child = this.#child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.stopTimeoutMs ?? 5000)
    await exited
    clearTimeout(timer)
  }

  /** Spawns one process and waits for its ready line; kills it on timeout or early exit. */
  async spawnAndWait (): Promise<void> {
    const args = ['-c', this.opts.configFile]
    if (this.#port !== 0) args.push('-p', String(this.#port))
    const child = spawn(this.#binary, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    this.#child = child
    this.#isReady = false
    const started = Date.now()
    const tail: string[] = []
    const ready = new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stderr! })
      lines.on('line', line => {
        this.#forward(line)
        tail.push(line)
        if (tail.length > 5) tail.shift()
        const listen = LISTEN_RE.exec(line)
        if (listen !== null) {
          this.#port = Number(listen[2])
          const host = (listen[1] ?? '').replace(/^\[|\]$/g, '')
          this.#host = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host
        }
        if (line.includes(READY_LINE)) resolve()
      })
      child.once('error', reject)
      child.once('exit', (code, sig) => {
        // let readline deliver the last lines first
        setImmediate(() => reject(new Error(`nats-server exited before ready (code ${code}, signal ${sig}): ${tail.join(' | ')}`)))
      })
    })
    ready.catch(() => { /* reported through withTimeout below */ })
    child.once('exit', (code, sig) => this.#onExit(child, code, sig, started))
    try {
      await withTimeout(ready, this.opts.readyTimeoutMs ?? 15_000, 'nats-server did not become ready')
    } catch (err) {
      child.kill('SIGKILL')
      throw err
    }
    this.#isReady = true
    this.#log.info('nats-server ready', { pid: child.pid, url: this.url })
    for (const w of this.#readyWaiters.splice(0)) w()
  }

  #onExit (child: ChildProcess, code: number | null, sig: NodeJS.Signals | null, started: number): void {
    if (child !== this.#child) return
    this.#isReady = false
    if (this.#stopping) {
      this.#log.info('nats-server stopped', { code, signal: sig })
      return
    }
    this.#log.error('nats-server exited unexpectedly', { code, signal: sig })
    if (this.opts.restart === false) return
    // a server that ran for a minute gets a fresh back-off
    this.#backoffMs = Date.now() - started > 60_000 ? 250 : Math.min(Math.max(this.#backoffMs * 2, 250), 10_000)
    setTimeout(() => { void this.#restart() }, this.#backoffMs).unref()
  }

  async #restart (): Promise<void> {
    if (this.#stopping) return
    this.#restarts++
    try {
      await this.spawnAndWait()
    } catch (err) {
      this.#log.error('nats-server restart failed', { error: (err as Error).message })
      // the failed child's exit handler schedules the next attempt
    }
  }

  #forward (line: string): void {
    const m = LOG_RE.exec(line)
    const level = m?.[1] ?? 'ERR' // unprefixed output is a startup/config failure
    const msg = m?.[2] ?? line
    if (level === 'FTL' || level === 'ERR') this.#log.error(msg)
    else if (level === 'WRN') this.#log.warn(msg)
    else if (level === 'INF') this.#log.info(msg)
    else this.#log.debug(msg)
  }
}

async function withTimeout<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms) })
  try {
    return await Promise.race([p, t])
  } finally {
    clearTimeout(timer)
  }
}
