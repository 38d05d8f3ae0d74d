// Readiness of a gateway from its plugin's health hook: each baseEntity's backend state plus an
// overall status, for a /readyz route or an embedder's own probe.
import type { EntityHealth, PluginHealth, ScimPlugin } from '../plugins/types.ts'

export interface GatewayHealth {
  /** 'up': every entity up or idle; 'down': every entity down (or the hook failed); else 'degraded'. */
  status: 'up' | 'degraded' | 'down'
  plugin: string
  entities: Record<string, EntityHealth>
}

/** Asks the plugin (bounded by `timeoutMs`, 0 = unbounded) and summarises. Never throws. */
export async function gatewayHealth (plugin: ScimPlugin, timeoutMs: number): Promise<GatewayHealth> {
  if (plugin.health === undefined) return { status: 'up', plugin: plugin.name, entities: {} }
  let report: PluginHealth
  let timer: NodeJS.Timeout | undefined
  try {
    const asked = plugin.health()
    report = timeoutMs > 0
      ? await Promise.race([asked, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`health check did not answer within ${timeoutMs} ms`)) }, timeoutMs) })])
      : await asked
  } catch (err) {
    return { status: 'down', plugin: plugin.name, entities: { '*': { state: 'down', detail: err instanceof Error ? err.message : String(err), checkedAt: new Date().toISOString() } } }
  } finally {
    clearTimeout(timer)
  }
  const states = Object.values(report.entities).map(e => e.state)
  const down = states.filter(s => s === 'down').length
  const status = down === 0 ? 'up' : down === states.length ? 'down' : 'degraded'
  return { status, plugin: plugin.name, entities: report.entities }
}
