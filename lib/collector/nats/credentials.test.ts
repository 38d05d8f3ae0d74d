// Unit tests of the credentials (no server): what the JWTs say, that tenant users carry no
// permissions of their own, persistence round trip, name validation, and the rendered config.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decode } from '@nats-io/jwt'
import type { Account, Operator, User, SigningKey } from '@nats-io/jwt'
import {
  createOperator, createTenant, issueUser, issueSystemUser, formatCredsFile, assertTenantName,
  serializeCredentials, parseCredentials, saveCredentials, loadCredentials, renderServerConfig,
  USER_TYPES, SIGNING_KEY_ROLE, permissionTemplate
} from './index.ts'

describe('NATS credentials', () => {
  it('creates an operator with a signing key and a system account', async () => {
    const op = await createOperator()
    const claims = decode<Operator>(op.jwt)
    assert.equal(claims.sub, op.publicKey)
    assert.deepEqual(claims.nats.signing_keys, [op.signingPublicKey])
    assert.equal(claims.nats.system_account, op.system.publicKey)
    assert.equal(decode<Account>(op.system.jwt).iss, op.signingPublicKey)
    assert.match(op.seed, /^SO/)
  })

  it('sets every account limit explicitly and one scoped signing key per user type', async () => {
    const op = await createOperator()
    const t = await createTenant(op, 'acme', { diskStorage: 1024 ** 3 })
    const claims = decode<Account>(t.jwt)
    assert.equal(claims.iss, op.signingPublicKey)
    assert.equal(claims.name, 'acme')
    const l = claims.nats.limits ?? {}
    for (const k of ['conn', 'subs', 'data', 'payload', 'imports', 'exports', 'leaf', 'mem_storage', 'streams', 'consumer'] as const) {
      assert.equal(l[k], -1, k)
    }
    assert.equal(l.disk_storage, 1024 ** 3)
    const keys = (claims.nats.signing_keys ?? []) as SigningKey[]
    assert.deepEqual(keys.map(k => k.role).sort(), USER_TYPES.map(u => SIGNING_KEY_ROLE[u]).sort())
    for (const k of keys) assert.equal(k.kind, 'user_scope')
    assert.equal(Object.keys(t).includes('seed'), false, 'the account identity seed is not kept')
  })

  it('issues users signed by the scoped key of their type, without permissions of their own', async () => {
    const op = await createOperator()
    const t = await createTenant(op, 'acme')
    const keys = (decode<Account>(t.jwt).nats.signing_keys ?? []) as SigningKey[]
    for (const type of USER_TYPES) {
      const u = await issueUser(t, type, `u-${type}`)
      const c = decode<User>(u.jwt)
      assert.equal(c.nats.issuer_account, t.publicKey)
      assert.equal(keys.find(k => k.key === c.iss)?.role, SIGNING_KEY_ROLE[type])
      assert.equal(c.nats.pub, undefined)
      assert.equal(c.nats.sub, undefined)
      assert.match(u.seed, /^SU/)
      assert.equal(u.inboxPrefix, '_INBOX')
    }
    const sys = await issueSystemUser(op)
    assert.equal(decode<User>(sys.jwt).iss, op.system.publicKey)
    assert.match(formatCredsFile(sys), /BEGIN NATS USER JWT[\s\S]*BEGIN USER NKEY SEED/)
  })

  it('gives each type least-privilege permissions', () => {
    const entra = permissionTemplate('acme', 'entra', 'shared')
    assert.ok(entra.pub?.allow?.includes('$JS.API.CONSUMER.CREATE.acme.*.ENTRA.>'))
    assert.ok(entra.pub?.allow?.includes('DLQ.ENTRA.>'))
    assert.equal(entra.pub?.allow?.some(s => s.includes('HR')), false)
    assert.equal(entra.pub?.allow?.some(s => s.includes('DELETE')), false)
    const gw = permissionTemplate('acme', 'gw', 'per-role')
    assert.deepEqual(gw.sub?.allow, ['GW.>', '_INBOX_SUB_GW.>'])
    assert.equal(gw.resp?.max !== undefined && gw.resp.max > 0, true)
    assert.deepEqual(permissionTemplate('acme', 'gwpublisher', 'shared').pub?.allow, ['GW.>'])
  })

  it('round-trips through JSON and a 0600 file', async () => {
    const op = await createOperator()
    const store = { version: 1 as const, operator: op, tenants: { acme: await createTenant(op, 'acme', {}, { inboxes: 'per-role' }) } }
    assert.deepEqual(parseCredentials(serializeCredentials(store)), store)
    const dir = await mkdtemp(join(tmpdir(), 'scim-creds-'))
    try {
      const file = join(dir, 'credentials.json')
      assert.equal(await loadCredentials(file), undefined)
      await saveCredentials(file, store)
      assert.equal((await stat(file)).mode & 0o777, 0o600)
      assert.deepEqual(await loadCredentials(file), store)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    assert.throws(() => parseCredentials('{"version":1,"operator":{"name":"x"},"tenants":{}}'), /\$\.operator\.system must be an object/)
  })

  it('accepts only tenant names usable as account and stream names', () => {
    for (const ok of ['acme', 'my-company', 'Tenant_2']) assert.doesNotThrow(() => assertTenantName(ok))
    for (const bad of ['', 'a.b', 'a b', 'a*', 'a>', 'SYS', 'dlq', 'x_DLQ', '-x']) assert.throws(() => assertTenantName(bad), /invalid tenant name/)
  })

  it('renders a config with server_name, TLS, full resolver and encrypted JetStream', () => {
    const text = renderServerConfig({
      host: '127.0.0.1', port: 4333,
      tls: { certFile: '/c/server-cert.pem', keyFile: '/c/server-key.pem', caFile: '/c/ca.pem' },
      operatorJwtFile: '/d/operator.jwt', systemAccount: 'ASYS', resolverDir: '/d/resolver',
      preload: { ASYS: 'jwt.sys' },
      jetstream: { storeDir: '/d/js', encryptionKey: 'k"ey' }
    })
    for (const expected of ['server_name: "SCIM-Stream"', 'port: 4333', 'verify: false', 'type: full', 'allow_delete: false',
      'system_account: "ASYS"', 'ASYS: "jwt.sys"', 'cipher: chachapoly', 'key: "k\\"ey"', 'ca_file: "/c/ca.pem"']) {
      assert.ok(text.includes(expected), expected)
    }
  })
})
