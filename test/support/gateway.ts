// Starts a real gateway (plugin-loki in memory, real HTTP on a free port) for end-to-end tests.
import { ScimGateway } from '../../lib/core/gateway.ts'
import type { GatewayOptions } from '../../lib/core/options.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { silentLogger, type Logger } from '../../lib/logging/types.ts'
import type { ScimPlugin } from '../../lib/plugins/types.ts'

export interface TestGateway {
  gateway: ScimGateway
  url: string
  stop (): Promise<void>
}

export async function startTestGateway (opts: { options?: Partial<GatewayOptions>, plugin?: ScimPlugin, demoData?: boolean, log?: Logger } = {}): Promise<TestGateway> {
  const plugin = opts.plugin ?? createLokiPlugin({ persistence: 'memory', demoData: opts.demoData ?? false })
  const gateway = new ScimGateway({ plugin, options: { port: 0, localhostOnly: true, ...opts.options }, log: opts.log ?? silentLogger })
  await gateway.start()
  return { gateway, url: gateway.url, stop: async () => { await gateway.stop() } }
}
