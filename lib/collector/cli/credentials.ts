// `scim-stream credentials`: what a gateway needs to subscribe (or, for gw, to serve GW requests) —
// a fresh user JWT signed with the tenant's sub_entra/sub_hr/sub_gw key, its nkey seed, the CA file
// and the subject — printed as a ready `scimgateway.stream` JSON fragment for a plugin config
// (`--entity <baseEntity>` names the subscriber entity; default "undefined", scimgateway's default).
// The address is the one subscribers reach: `--host`, else the first public name of the server
// certificate (`nats.server.hosts`), else `nats.server.host` when it is not a wildcard; the port is the
// effective one (environment overrides applied; a port chosen at start is read from the running
// server's nats.conf). Never this machine's host name: it is rarely what a remote gateway resolves, and
// the server certificate does not name it.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { issueUser, loadCredentials } from '../nats/index.ts'
import { configPath, loadStreamConfig, type StreamConfig } from '../config.ts'
import { CliFailure, UsageError, one, required, type CliIo, type Flags } from './shared.ts'

const WILDCARD = new Set(['0.0.0.0', '::', '[::]', ''])

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
  const host = publicHost(one(flags, 'host'), srv, io)
  const port = await effectivePort(srv.port, natsDir)
  const nats = { tenant, subject: TYPES[type], jwt: creds.jwt, secret: creds.seed }
  const fragment = {
    scimgateway: {
      stream: {
        baseUrls: [`nats://${host.includes(':') ? `[${host}]` : host}:${port}`],
        certificate: { ca: configPath(configPath(configDir, srv.cert_dir ?? 'certs'), srv.certificate?.cafile ?? 'ca.pem') },
        subscriber: { enabled: true, entity: { [one(flags, 'entity') ?? 'undefined']: { nats } } }
      }
    }
  }
  io.out(JSON.stringify(fragment, null, 2))
  return 0
}

type ServerCfg = StreamConfig['nats']['server']

function publicHost (flag: string | undefined, srv: ServerCfg, io: CliIo): string {
  if (flag !== undefined && flag !== '') return flag
  const named = srv.hosts[0]
  if (named !== undefined) return named
  if (!WILDCARD.has(srv.host)) return srv.host
  io.err(`scim-stream: nats.server.host ${srv.host} listens on every interface; printing localhost. ` +
    'Set nats.server.hosts to the name subscribers use (it is also put into the server certificate), or pass --host.')
  return 'localhost'
}

async function effectivePort (port: number, natsDir: string): Promise<number> {
  if (port > 0) return port
  // -1/0: the server picked a free port at start and pinned it in its generated config.
  const text = await readFile(join(natsDir, 'nats.conf'), 'utf8').catch(() => '')
  const pinned = Number(/^port:\s*(\d+)\s*$/m.exec(text)?.[1])
  if (Number.isInteger(pinned) && pinned > 0) return pinned
  throw new CliFailure(`nats.server.port is ${port} (chosen when the service starts) and no running server's port is known in ${natsDir}/nats.conf: set nats.server.port, or start the service first`)
}
