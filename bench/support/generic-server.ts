// Child process of bench/plugins.bench.ts: a gateway with plugin-generic forwarding to the loki
// gateway whose URL is argv[2] (basic auth both ways), on a free port. Reports its port on stdout,
// its CPU time and the REST client's request counts on IPC request.
import { ScimGateway } from '../../lib/core/gateway.ts'
import { createGenericPlugin, genericEndpointSchema, type GenericEndpoint } from '../../lib/plugins/plugin-generic.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { validate } from '../../lib/config/schema.ts'

const target = process.argv[2] ?? ''
const cred = { username: 'gwadmin', password: 'password' }
const ep = validate(genericEndpointSchema, { entity: { undefined: { connection: { baseUrls: [target], auth: { type: 'basic', options: cred } } } } })
if (!ep.ok) throw new Error(JSON.stringify(ep.errors))
const gw = new ScimGateway({
  plugin: createGenericPlugin(ep.value as GenericEndpoint, { configDir: process.cwd(), log: silentLogger }),
  options: { port: 0, localhostOnly: true, authenticators: [basicAuthenticator([cred])] },
  log: silentLogger
})
await gw.start()
process.stdout.write(`PORT ${gw.port}\n`)
process.on('message', (m) => {
  if (m === 'cpu') {
    const u = process.cpuUsage()
    process.send?.({ cpuMicros: u.user + u.system })
  }
  if (m === 'stop') void gw.stop().then(() => process.exit(0))
})
