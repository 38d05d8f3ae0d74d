// `scim-stream credentials`: what a gateway needs to subscribe (or, for gw, to serve GW requests) —
// a fresh user JWT signed with the tenant's sub_entra/sub_hr/sub_gw key, its nkey seed, the CA file
// and the subject — printed as a ready `scimgateway.stream` JSON fragment for a plugin config
// (`--entity <baseEntity>` names the subscriber entity; default "undefined", scimgateway's default).
import { hostname } from 'node:os'
import { join } from 'node:path'
import { issueUser, loadCredentials } from './nats/index.ts'
import { configPath, loadStreamConfig } from './config.ts'
import type { CliIo, Flags } from './cli.ts'
import { UsageError, one, required } from './cli.ts'

const TYPES = { entra: 'ENTRA.>', hr: 'HR.>', gw: 'GW.>' } as const

/** Runs `credentials`; returns the exit code. */
export async function credentialsCommand (configFile: string, flags: Flags, io: CliIo): Promise<number> {
  const tenant = required(flags, 'tenant')
  const type = required(flags, 'type')
  if (type !== 'entra' && type !== 'hr' && type !== 'gw') throw new UsageError(`--type must be entra, hr or gw, got "${type}"`)
  const { config, configDir } = await loadStreamConfig(configFile, { env: io.env, encryptInPlace: false })
  const srv = config.nats.server
  if (srv.use_external_server) {
    throw new Error('nats.server.use_external_server is true: issue subscriber credentials with the external cluster\'s operator tooling')
  }
  const natsDir = configPath(configDir, srv.dir ?? 'nats')
  const store = await loadCredentials(join(natsDir, 'credentials.json'))
  const t = store?.tenants[tenant]
  if (store === undefined || t === undefined) {
    throw new Error(`tenant "${tenant}" has no NATS account yet in ${natsDir}: add it to the config and start the service once (or run init)`)
  }
  const user = one(flags, 'user') ?? `gateway-${type}-${Date.now().toString(36)}`
  const creds = await issueUser(t, type, user)
  const host = srv.hosts[0] ?? (srv.host === '0.0.0.0' ? hostname() : srv.host)
  const nats = { tenant, subject: TYPES[type], jwt: creds.jwt, secret: creds.seed }
  const fragment = {
    scimgateway: {
      stream: {
        baseUrls: [`nats://${host}:${srv.port}`],
        certificate: { ca: join(configPath(configDir, srv.cert_dir ?? 'certs'), 'ca.pem') },
        subscriber: { enabled: true, entity: { [one(flags, 'entity') ?? 'undefined']: { nats } } }
      }
    }
  }
  io.out(JSON.stringify(fragment, null, 2))
  return 0
}
