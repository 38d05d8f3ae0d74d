// Test helpers for the core: a gateway app over plugin-loki (memory), requests without ports.
import { ScimGateway } from '../../lib/core/gateway.ts'
import type { GatewayOptions } from '../../lib/core/options.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { basicAuthenticator, bearerTokenAuthenticator } from '../../lib/auth/index.ts'
import { silentLogger, type Logger } from '../../lib/logging/types.ts'
import type { ScimPlugin } from '../../lib/plugins/types.ts'

export const ADMIN = 'Basic ' + Buffer.from('gwadmin:password').toString('base64')
export const READER = 'Basic ' + Buffer.from('reader:readpw').toString('base64')
export const TENANT_A = 'Bearer tenant-a-token'

export interface Harness {
  gw: ScimGateway
  req (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>
  json<T = Record<string, unknown>> (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number, body: T, headers: Headers }>
}

export async function harness (opts: { options?: Partial<GatewayOptions>, plugin?: ScimPlugin, demoData?: boolean, log?: Logger } = {}): Promise<Harness> {
  const plugin = opts.plugin ?? createLokiPlugin({ persistence: 'memory', demoData: opts.demoData ?? true, entities: ['clientA', 'clientB'] })
  const gw = new ScimGateway({
    plugin,
    options: {
      port: 0,
      entities: ['clientA', 'clientB'],
      authenticators: [
        basicAuthenticator([
          { username: 'gwadmin', password: 'password' },
          { username: 'reader', password: 'readpw', readOnly: true }
        ]),
        bearerTokenAuthenticator([{ token: 'tenant-a-token', baseEntities: ['clientA'] }])
      ],
      ...opts.options
    },
    log: opts.log ?? silentLogger
  })
  if (plugin.start !== undefined) await plugin.start(silentLogger)
  const req = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> => {
    const h: Record<string, string> = { authorization: ADMIN, ...headers }
    const init: RequestInit = { method, headers: h }
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
      h['content-type'] ??= 'application/scim+json'
    }
    return await gw.app.request(`http://gw.test${path}`, init)
  }
  return {
    gw,
    req,
    async json (method, path, body, headers) {
      const r = await req(method, path, body, headers)
      const text = await r.text()
      return { status: r.status, body: (text === '' ? {} : JSON.parse(text)), headers: r.headers }
    }
  }
}

export function user (userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true, name: { givenName: 'G', familyName: 'F' }, ...extra }
}
