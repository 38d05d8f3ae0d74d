// config/plugin-ldap.json as shipped, and scimgateway-shaped variants of it, loaded the way
// runGateway loads them (lib/config + the plugin's endpoint schema): the shipped file is valid; bad
// and unknown endpoint keys join the one ConfigError with their paths.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadPluginConfig, isConfigError } from '../../lib/config/index.ts'
import { ldapPlugin } from '../../lib/plugins/plugin-ldap.ts'

const shipped = new URL('../../config/plugin-ldap.json', import.meta.url).pathname

async function load (mutate?: (c: { endpoint: Record<string, unknown> }) => void): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), 'ldap-config-'))
  try {
    if (mutate === undefined) await copyFile(shipped, join(dir, 'plugin-ldap.json'))
    else {
      const c = JSON.parse(await readFile(shipped, 'utf8')) as { endpoint: Record<string, unknown> }
      mutate(c)
      await writeFile(join(dir, 'plugin-ldap.json'), JSON.stringify(c))
    }
    const loaded = await loadPluginConfig('ldap', { configDir: dir, env: {}, endpointSchema: ldapPlugin.endpoint })
    return loaded.endpoint
  } finally { await rm(dir, { recursive: true, force: true }) }
}

test('the shipped config/plugin-ldap.json is valid and makes a plugin', async () => {
  const endpoint = await load()
  const plugin = ldapPlugin.create(endpoint as Parameters<typeof ldapPlugin.create>[0], { configDir: '.', log: { error () {}, warn () {}, info () {}, debug () {}, child () { return this } } })
  assert.equal(plugin.name, 'ldap')
  assert.equal(plugin.capabilities?.groupMemberDelta, true)
  assert.equal((await plugin.health?.())?.entities.undefined?.state, 'idle')
})

test('bad and unknown endpoint keys are reported together, with paths', async () => {
  try {
    await load(c => {
      const e = (c.endpoint.entity as Record<string, Record<string, unknown>>).undefined ?? {}
      e.baseUrls = ['https://dc1:636']
      e.pagesize = 100
      ;(e.ldap as Record<string, unknown>).userBase = null
      ;(c.endpoint.map as Record<string, Record<string, unknown>>).user = { objectGUID: { mapTo: 'id', type: 'guid' } }
    })
    assert.fail('expected a ConfigError')
  } catch (err) {
    assert.ok(isConfigError(err), String(err))
    assert.match(err.message, /endpoint\.entity\.undefined\.baseUrls\[0\]/)
    assert.match(err.message, /endpoint\.entity\.undefined\.pagesize: unknown key \(did you mean "pageSize"\?\)/)
    assert.match(err.message, /endpoint\.entity\.undefined\.ldap\.userBase: required/)
    assert.match(err.message, /endpoint\.map\.user\.objectGUID\.type/)
  }
})
