// nats.server.auth in the documented shape: the builtin nats-server runs under the configured operator
// and tenant account (identities made here the way an existing deployment has them); a subscriber
// holding a user JWT the deployment signed earlier with its sub_hr signing key still connects and
// receives what the service publishes; the service's own scoped users work too; every secret is
// encrypted in place. A secret that does not belong to its JWT is refused at start with its path.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, rm } from 'node:fs/promises'
import { createAccount, createOperator, createUser, encodeAccount, encodeOperator, encodeUser } from '@nats-io/jwt'
import { startService, type StreamService } from '../../lib/collector/service.ts'
import { loadStreamConfig } from '../../lib/collector/config.ts'
import { createMemoryLogger } from '../../lib/logging/index.ts'
import { builtinServerConfig, freePort, makeWorkDir, onePersonSource, subscribe, writeConfig, type ContractSubscriber } from './support.ts'

const seed = (kp: { getSeed: () => Uint8Array }): string => new TextDecoder().decode(kp.getSeed())

/** What an existing deployment has: operator, system account, one tenant account with signing keys. */
async function deployment (): Promise<{ yaml: string, operatorKey: string, accountKey: string, legacyUser: { jwt: string, seed: string }, wrongSecret: string }> {
  const op = createOperator()
  const sys = createAccount()
  const acct = createAccount()
  const pub = createAccount()
  const subEntra = createAccount()
  const subHr = createAccount()
  const opJwt = await encodeOperator('Deployed', op, { system_account: sys.getPublicKey() })
  const sysJwt = await encodeAccount('SYS', sys, {}, { signer: op })
  const acctJwt = await encodeAccount('acme', acct, { signing_keys: [pub.getPublicKey(), subEntra.getPublicKey(), subHr.getPublicKey()] }, { signer: op })
  const user = createUser()
  // A subscriber's credentials from before the migration: signed with the sub_hr key, own permissions.
  const userJwt = await encodeUser('old-hr-subscriber', user, acct, {}, { signer: subHr })
  const yaml = `    auth:
      operator:
        jwt: ${opJwt}
        secret: ${seed(op)}
        sys_account_jwt: ${sysJwt}
        sys_account_secret: ${seed(sys)}
      account:
        acme:
          jwt: ${acctJwt}
          secret: ${seed(acct)}
          signing:
            pub_secret: ${seed(pub)}
            sub_entra_secret: ${seed(subEntra)}
            sub_hr_secret: ${seed(subHr)}
`
  return { yaml, operatorKey: op.getPublicKey(), accountKey: acct.getPublicKey(), legacyUser: { jwt: userJwt, seed: seed(user) }, wrongSecret: seed(createAccount()) }
}

const config = (port: number, auth: string): string => builtinServerConfig(port, 'SF', auth)

describe('nats.server.auth: the builtin server with the deployment\'s operator and accounts', () => {
  let dir: string
  let file: string
  let svc: StreamService | undefined
  let d: Awaited<ReturnType<typeof deployment>>
  const subs: ContractSubscriber[] = []
  const sources = onePersonSource

  before(async () => {
    dir = await makeWorkDir()
    d = await deployment()
    file = await writeConfig(dir, config(await freePort(), d.yaml))
    svc = await startService({ configFile: file, log: createMemoryLogger(), sources, runAtStart: false, watch: false, env: { SEED: 'nats-auth' } })
  })

  after(async () => {
    for (const s of subs) await s.close()
    await svc?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('runs under the configured operator and account; an old subscriber and a new one both receive', async () => {
    const nats = (svc as StreamService).nats.builtin
    assert.ok(nats !== undefined)
    assert.equal(nats.store.operator.publicKey, d.operatorKey)
    assert.equal(nats.store.tenants.acme?.publicKey, d.accountKey)
    const legacy = await subscribe({ url: nats.url, caFile: nats.tls.caFile, issue: async () => ({ ...d.legacyUser, inboxPrefix: '_INBOX' }) }, 'acme', 'hr', 'HR.>')
    subs.push(legacy)
    const fresh = await subscribe(nats, 'acme', 'hr', 'HR.>')
    subs.push(fresh)
    await (svc as StreamService).runNow('acme')
    for (const s of [legacy, fresh]) {
      const got = await s.take({ expectAtLeast: 1 })
      assert.deepEqual(got.map(m => [m.subject, m.body.activityOperation, m.body.targetUpn]), [['HR.SF', 'createUser', 'ann@acme.test']])
    }
  })

  it('the secrets are encrypted in the config file', async () => {
    const text = await readFile(file, 'utf8')
    for (const line of d.yaml.split('\n').filter(l => /secret: S[OA]/.test(l))) {
      assert.ok(!text.includes(line.trim().split(': ')[1] as string), `${line.trim().split(':')[0]} encrypted`)
    }
  })

  it('a secret that does not belong to its JWT, or an account without operator, is refused with its path', async () => {
    const wrong = d.yaml.replace(/(sys_account_secret: )\S+/, `$1${d.wrongSecret}`)
    const bad = await writeConfig(dir, config(4222, wrong), 'bad.yaml')
    await assert.rejects(loadStreamConfig(bad, { encryptInPlace: false }), /nats\.server\.auth\.operator\.sys_account_secret: is not the secret of sys_account_jwt/)
    const noOperator = d.yaml.replace(/ {6}operator:\n(?: {8}.*\n)+/, '')
    const bad2 = await writeConfig(dir, config(4222, noOperator), 'bad2.yaml')
    await assert.rejects(loadStreamConfig(bad2, { encryptInPlace: false }), /nats\.server\.auth\.operator: is required with auth\.account/)
  })

  it('encryption_at_rest_key is encrypted in the file and read back in clear', async () => {
    const f = await writeConfig(dir, config(4222, '    encryption_at_rest_key: "js-key-123456"\n'), 'at-rest.yaml')
    const { config: c } = await loadStreamConfig(f, { env: { SEED: 'nats-auth' } })
    assert.equal(c.nats.server.encryption_at_rest_key, 'js-key-123456')
    assert.ok(!(await readFile(f, 'utf8')).includes('js-key-123456'))
  })
})
