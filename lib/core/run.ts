// Starts a gateway from its config file: load + validate config (every problem listed, exit 1),
// logger, plugin, HTTP server; shutdown on SIGTERM/SIGINT through the one process supervisor
// (supervisor.ts), so index.ts may call this for several plugins.
import { join } from 'node:path'
import { loadPluginConfig, isConfigError, type GatewayConfig } from '../config/index.ts'
import { createLogger, createLogPush } from '../logging/index.ts'
import type { JsonObject } from '../scim/types.ts'
import type { ScimPlugin, Logger } from '../plugins/types.ts'
import { ScimGateway } from './gateway.ts'
import { withStreamOptions, startStream } from '../stream/index.ts'
import { gatewayOptionsFromConfig, type AuthenticatorFactory } from './from-config.ts'
import { supervise } from './supervisor.ts'
import type { PluginDefinition } from '../plugins/sdk/config.ts'

/** Makes a plugin from its config's `endpoint` section. */
export type PluginFactory = (endpoint: JsonObject, env: { configDir: string, log: Logger, config: GatewayConfig, endpoint?: unknown }) => ScimPlugin

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
  const makePlugin: PluginFactory = typeof factoryOrOpts === 'function'
    ? factoryOrOpts
    : (_endpoint, env) => {
        if (def === undefined) throw new Error('runGateway: no plugin factory')
        return def.create(env.endpoint as E, { configDir: env.configDir, log: env.log })
      }
  let loaded
  try {
    loaded = await loadPluginConfig(name, def !== undefined ? { endpointSchema: def.endpoint } : {})
  } catch (err) {
    if (isConfigError(err) && opts.exitOnConfigError !== false) {
      process.stderr.write(`${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  const { config, configDir } = loaded
  const g = config.scimgateway
  const logPush = createLogPush()
  const log = createLogger({
    name: `plugin-${name}`,
    push: logPush,
    console: g.log.loglevel.console,
    file: { level: g.log.loglevel.file, path: join(g.log.logDirectory ?? join(configDir, '..', 'logs'), `plugin-${name}.log`), ...(g.log.maxSize !== undefined ? { maxSize: g.log.maxSize } : {}), ...(g.log.maxFiles !== undefined ? { maxFiles: g.log.maxFiles } : {}) },
    customMasking: [...g.log.customMasking]
  })
  let plugin: ScimPlugin
  try {
    plugin = makePlugin(config.endpoint as JsonObject, { configDir, log, config, endpoint: loaded.endpoint })
  } catch (err) {
    // a factory may find what a schema cannot (a file that does not exist): same report, no stack
    if (isConfigError(err) && opts.exitOnConfigError !== false) {
      process.stderr.write(`${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  const options = withStreamOptions(config, gatewayOptionsFromConfig(config, opts.auth, { configDir, plugin, log }), { configDir })
  const gateway = new ScimGateway({ plugin, options, log, logPush })
  await gateway.start()
  const stream = await startStream(gateway, config, log, { configDir })
  // one supervisor for all gateways of the process: signals and unhandledRejection registered once
  supervise(`plugin-${name}`, async () => { await stream.stop(); await gateway.stop(); await log.close() }, log)
  return gateway
}
