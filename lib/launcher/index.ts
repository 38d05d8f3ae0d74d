// Public API of the launcher, the layer above core and stream: runGateway() loads a plugin's config
// and starts its gateway with its stream module under the one process supervisor.
export { runGateway, type PluginFactory, type RunOptions, type FactoryEnv } from './run.ts'
