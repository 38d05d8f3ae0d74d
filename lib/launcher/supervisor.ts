// The one process supervisor for every gateway started in this process (index.ts may start several
// plugins side by side, each on its own port). SIGTERM/SIGINT and unhandledRejection are registered
// ONCE, however many gateways there are; on a signal every gateway is stopped one after another in
// the order they were started, then the process exits 0. A second signal, or a stop that hangs past
// the grace period, exits 1 at once.
import type { Logger } from '../plugins/types.ts'

interface Supervised { name: string, stop: () => Promise<void>, log: Logger }

const supervised: Supervised[] = []
let installed = false
let stopping: Promise<void> | undefined

/** Grace period for stopping every gateway on a signal (ms). */
export const SHUTDOWN_GRACE_MS = 15_000

/**
 * Puts a started gateway under the supervisor.
 * @example
 * supervise('plugin-loki', async () => { await stream.stop(); await gateway.stop(); await log.close() }, log)
 */
export function supervise (name: string, stop: () => Promise<void>, log: Logger): void {
  supervised.push({ name, stop, log })
  install()
}

/** Stops every supervised gateway in start order (each at most once); errors are logged, not thrown. */
export async function stopAll (reason: string): Promise<void> {
  stopping ??= (async () => {
    while (supervised.length > 0) {
      const s = supervised.shift()
      if (s === undefined) break
      s.log.info(`${reason}: stopping ${s.name}`)
      try { await s.stop() } catch (err) { s.log.error(`stopping ${s.name} failed: ${err instanceof Error ? err.message : String(err)}`) }
    }
  })()
  await stopping
}

function install (): void {
  if (installed) return
  installed = true
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping !== undefined) process.exit(1) // second signal: the operator insists
    const timer = setTimeout(() => { process.stderr.write(`shutdown took longer than ${SHUTDOWN_GRACE_MS} ms, exiting\n`); process.exit(1) }, SHUTDOWN_GRACE_MS)
    timer.unref()
    void stopAll(`${signal} received`).finally(() => process.exit(0))
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  // a plugin's stray promise must not take the gateways down: log it (once, on the first logger) and keep serving
  process.on('unhandledRejection', (reason) => {
    const text = `unhandled rejection: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}`
    const first = supervised[0]
    if (first !== undefined) first.log.error(text); else process.stderr.write(`${text}\n`)
  })
}
