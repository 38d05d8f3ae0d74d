// The launcher, above core and stream: starts a gateway from its config file — load + validate config
// (every problem listed, exit 1), logger, mail, plugin, HTTP server, stream module; shutdown on
// SIGTERM/SIGINT through the one process supervisor (supervisor.ts), so index.ts may call this for
// several plugins.
import { join } from 'node:path'
import { loadPluginConfig, isConfigError, ConfigError, type GatewayConfig, type LoadedConfig } from '../config/index.ts'
import { gatewayMailFromConfig } from '../mail/gateway-mail.ts'
import { withErrorNotifier } from '../mail/notifying-logger.ts'
import type { MailMessage } from '../mail/mailer.ts'
import { createLogger, createLogPush, type ClosableLogger, type LogPush } from '../logging/index.ts'
import type { JsonObject } from '../scim/types.ts'
import type { ScimPlugin, Logger } from '../plugins/types.ts'
import { ScimGateway } from '../core/gateway.ts'
import { withStreamOptions, startStream } from '../stream/index.ts'
import { addStreamMonitoring } from '../stream/monitoring.ts'
import { gatewayOptionsFromConfig, type AuthenticatorFactory } from '../core/from-config.ts'
import { supervise } from './supervisor.ts'
import type { PluginDefinition } from '../plugins/sdk/config.ts'

/** Makes a plugin from its config's `endpoint` section. */
export type PluginFactory = (endpoint: JsonObject, env: FactoryEnv) => ScimPlugin

/** What a plugin factory gets besides its `endpoint` section. */
export interface FactoryEnv {
  configDir: string
  log: Logger
  config: GatewayConfig
  /** The plugin's endpoint config as its schema validated it (definePlugin). */
  endpoint?: unknown
  /**
   * Sends a mail with the gateway's `email` settings (scimgateway's `scimgateway.sendMail()`); rejects
   * when no mail is configured or the server refuses it.
   */
  sendMail: (msg: MailMessage) => Promise<void>
}

export interface RunOptions {
  /** Extra auth methods (lib/auth's JWT/OAuth modules register here). */
  auth?: AuthenticatorFactory[]
  /** Exit the process on a config error (default true); otherwise the ConfigError is thrown. */
  exitOnConfigError?: boolean
}

/**
 * Loads `config/plugin-<name>.json` and starts the gateway.
 * @example
 * await runGateway('loki', (endpoint, { configDir }) => createLokiPlugin(lokiOptionsFromEndpoint(endpoint, configDir)))
 */
export async function runGateway (name: string, makePlugin: PluginFactory, opts?: RunOptions): Promise<ScimGateway>
/**
 * Loads `config/plugin-<definition.name>.json`, validating `endpoint` with the plugin's own schema
 * (its problems join the one config error report), and starts the gateway.
 * @example await runGateway(lokiPlugin)
 */
export async function runGateway<E> (definition: PluginDefinition<E>, opts?: RunOptions): Promise<ScimGateway>
export async function runGateway<E> (nameOrDef: string | PluginDefinition<E>, factoryOrOpts?: PluginFactory | RunOptions, maybeOpts?: RunOptions): Promise<ScimGateway> {
  const def = typeof nameOrDef === 'string' ? undefined : nameOrDef
  const name = typeof nameOrDef === 'string' ? nameOrDef : nameOrDef.name
  const opts: RunOptions = (typeof factoryOrOpts === 'function' ? maybeOpts : factoryOrOpts) ?? {}
  const makePlugin: PluginFactory = typeof factoryOrOpts === 'function' ? factoryOrOpts : definitionFactory(def)
  const exitOnError = (err: ConfigError): never => {
    if (opts.exitOnConfigError !== false) {
      process.stderr.write(`${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  let loaded
  try {
    loaded = await loadPluginConfig(name, def !== undefined ? { endpointSchema: def.endpoint } : {})
  } catch (err) {
    if (isConfigError(err)) exitOnError(err)
    throw err
  }
  const { config, configDir } = loaded
  const g = config.scimgateway
  const logPush = createLogPush()
  const log = gatewayLogger(name, loaded, logPush)
  const mail = gatewayMailFromConfig(g, log, { customMasking: [...g.log.customMasking] })
  if (mail.problems.length > 0) exitOnError(new ConfigError(undefined, mail.problems))
  // the mailer keeps the plain logger: a failing mail is logged but not mailed again
  const gwLog = mail.notifier !== undefined ? withErrorNotifier(log, mail.notifier) : log
  const sendMail = async (msg: MailMessage): Promise<void> => {
    if (mail.mailer === undefined) throw new Error('sendMail: no mail is configured (scimgateway.email)')
    await mail.mailer.send(msg)
  }
  let plugin: ScimPlugin
  try {
    plugin = makePlugin(config.endpoint as JsonObject, { configDir, log: gwLog, config, endpoint: loaded.endpoint, sendMail })
  } catch (err) {
    // a factory may find what a schema cannot (a file that does not exist): same report, no stack
    if (isConfigError(err)) exitOnError(err)
    throw err
  }
  const options = withStreamOptions(config, gatewayOptionsFromConfig(config, opts.auth, { configDir, plugin, log }), { configDir })
  const gateway = new ScimGateway({ plugin, options, log: gwLog, logPush, sendMail })
  await gateway.start()
  const stream = await startStream(gateway, config, gwLog, { configDir })
  addStreamMonitoring(gateway.monitor, stream)
  // one supervisor for all gateways of the process: signals and unhandledRejection registered once
  supervise(`plugin-${name}`, async () => {
    await stream.stop()
    await gateway.stop()
    await mail.notifier?.close()
    mail.mailer?.close()
    await log.close()
  }, log)
  return gateway
}

/** The factory of a plugin definition: its `create` with the endpoint its schema validated. */
function definitionFactory<E> (def: PluginDefinition<E> | undefined): PluginFactory {
  return (_endpoint, env) => {
    if (def === undefined) throw new Error('runGateway: no plugin factory')
    return def.create(env.endpoint as E, { configDir: env.configDir, log: env.log, sendMail: env.sendMail })
  }
}

/** The gateway's logger from `scimgateway.log`; reports secrets the config load has just encrypted. */
function gatewayLogger (name: string, loaded: LoadedConfig, logPush: LogPush): ClosableLogger {
  const { configDir } = loaded
  const g = loaded.config.scimgateway
  const log = createLogger({
    name: `plugin-${name}`,
    push: logPush,
    console: g.log.loglevel.console,
    file: { level: g.log.loglevel.file, path: join(g.log.logDirectory ?? join(configDir, '..', 'logs'), `plugin-${name}.log`), ...(g.log.maxSize !== undefined ? { maxSize: g.log.maxSize } : {}), ...(g.log.maxFiles !== undefined ? { maxFiles: g.log.maxFiles } : {}) },
    customMasking: [...g.log.customMasking],
    ...(g.log.loglevel.push !== undefined ? { pushLevel: g.log.loglevel.push } : {})
  })
  if (loaded.encryptedNow.length > 0) {
    const seeded = (process.env.SEED ?? '') !== ''
    log.info(`config: ${loaded.encryptedNow.length} cleartext secret(s) encrypted in place in ${loaded.file} (${loaded.encryptedNow.join(', ')}); key from ${seeded ? 'the SEED environment variable' : 'this machine'}`)
    if (!seeded) log.warn(`SEED is not set: the secrets in ${loaded.file} are encrypted with a key derived from this machine; the file cannot be used on another machine or in a re-created container. Set SEED (and keep it) to make the key portable.`)
  }
  return log
}
