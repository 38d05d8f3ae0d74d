// plugin-mongodb against a real MongoDB when MONGODB_URL is set (none can run on this machine: the
// tests are then skipped with that reason): the contract suite with one database per baseEntity,
// created fresh for this run and dropped after. The config checks run always.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import { createMongoPlugin, mongoEndpointSchema } from '../../lib/plugins/plugin-mongodb.ts'
import { validate } from '../../lib/config/schema.ts'
import { registerPluginContract, ctx, query } from './contract.ts'
import { createServer, type AddressInfo } from 'node:net'
import { isScimError } from '../../lib/scim/errors.ts'
import { silentLogger } from '../../lib/logging/types.ts'

const URL = process.env.MONGODB_URL
const SKIP = URL === undefined || URL === '' ? 'MongoDB is not available on this machine: set MONGODB_URL (e.g. mongodb://127.0.0.1:27017) to run the plugin-mongodb contract suite' : false
if (SKIP !== false) console.log(`# plugin-mongodb contract skipped: ${SKIP}`)

const run = `scimt_${randomBytes(4).toString('hex')}`
const dbs = [`${run}_main`, `${run}_a`, `${run}_b`]
after(async () => {
  if (SKIP !== false || URL === undefined) return
  const c = new MongoClient(URL)
  try { for (const d of dbs) await c.db(d).dropDatabase() } finally { await c.close() }
})

if (SKIP === false && URL !== undefined) {
  registerPluginContract({
    name: 'plugin-mongodb',
    factory: async () => {
      const r = validate(mongoEndpointSchema, { url: URL, entity: { undefined: { database: dbs[0] }, tenantA: { database: dbs[1] }, tenantB: { database: dbs[2] } } }, {}, ['endpoint'])
      assert.ok(r.ok, JSON.stringify(r.errors))
      return { plugin: createMongoPlugin(r.value), cleanup: async () => {} }
    },
    capabilities: { baseEntityIsolation: true, unknownBaseEntity404: true, health: true }
  })
} else {
  describe('plugin contract: plugin-mongodb', () => { it('runs against a real MongoDB', { skip: SKIP }, () => {}) })
}

describe('plugin-mongodb without a server', () => {
  it('an unreachable MongoDB is a typed 503 and health reports the baseEntity down (real driver, dead port)', async () => {
    const srv = createServer()
    await new Promise<void>(resolve => { srv.listen(0, '127.0.0.1', resolve) })
    const port = (srv.address() as AddressInfo).port
    await new Promise<void>(resolve => { srv.close(() => { resolve() }) })
    const r = validate(mongoEndpointSchema, { url: `mongodb://127.0.0.1:${port}`, connectTimeoutMs: 300 }, {}, ['endpoint'])
    assert.ok(r.ok)
    const plugin = createMongoPlugin(r.value)
    await plugin.start?.(silentLogger)
    try {
      await assert.rejects(plugin.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), ctx()) ?? Promise.resolve(), (e: unknown) => isScimError(e) && e.status === 503)
      assert.equal((await plugin.health?.())?.entities.undefined?.state, 'down')
      await assert.rejects(plugin.getUsers?.(query({ attribute: 'userName', operator: 'eq', value: 'x' }), ctx('other')) ?? Promise.resolve(), (e: unknown) => isScimError(e) && e.status === 404)
    } finally { await plugin.stop?.() }
  })
})

describe('plugin-mongodb config', () => {
  it('url is required (plugin-wide or per baseEntity); bad names and unknown keys are reported with paths', () => {
    const r = validate(mongoEndpointSchema, { databse: 'x', entity: { a: { database: 'bad/name' } } }, {}, ['endpoint'])
    assert.equal(r.ok, false)
    const paths = r.errors.map(e => e.path)
    for (const p of ['endpoint.databse', 'endpoint.entity.a.database']) assert.ok(paths.includes(p), paths.join())
    const r2 = validate(mongoEndpointSchema, { database: 'scim' }, {}, ['endpoint'])
    assert.ok(r2.errors.some(e => e.path === 'endpoint.url'), JSON.stringify(r2.errors))
    assert.ok(validate(mongoEndpointSchema, { url: 'mongodb://h:27017', entity: { a: { database: 'ta' }, b: { collectionPrefix: 'tb_' } } }, {}, ['endpoint']).ok)
  })
})
