// Tests of secrets at rest: round trip, wrong key, recognisable form, portability with SEED,
// in-place rewriting of JSON and YAML that keeps every other byte.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import {
  decryptSecret, deriveSecretKey, encryptSecret, ENCRYPTED_PREFIX, isEncrypted, needsEncryption, SecretDecryptError
} from './secrets.ts'
import { cleartextSecretPaths, decryptSecretsInText, encryptSecretsInText } from './file-secrets.ts'
import { isConfigError } from './errors.ts'
import { parseJsonWithPositions, spliceText } from './json-source.ts'

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
const machineA = { hostname: 'host-a', machineId: 'aaaa' }
const machineB = { hostname: 'host-b', machineId: 'bbbb' }
const seedKey = deriveSecretKey({ seed: 'shared-seed', machine: machineA })

/** Removes the encrypted tokens so two texts can be compared outside them. */
const maskEncrypted = (text: string): string => text.replace(/\{enc:v1\}[A-Za-z0-9_-]+/g, '<ENC>')

describe('encryptSecret / decryptSecret', () => {
  it('round-trips, including unicode and empty strings', () => {
    for (const plain of ['hunter2', 'pässwörd ✓ 密码', '', 'x'.repeat(5000)]) {
      const enc = encryptSecret(plain, seedKey)
      assert.ok(enc.startsWith(ENCRYPTED_PREFIX))
      assert.match(enc, /^\{enc:v1\}[A-Za-z0-9_-]+$/)
      assert.equal(decryptSecret(enc, seedKey), plain)
    }
  })

  it('uses a fresh IV: equal secrets encrypt differently', () => {
    assert.notEqual(encryptSecret('same', seedKey), encryptSecret('same', seedKey))
  })

  it('detects the encrypted form by prefix, without the key', () => {
    assert.equal(isEncrypted(encryptSecret('a', seedKey)), true)
    assert.equal(isEncrypted('plain'), false)
    assert.equal(isEncrypted('process.env.X'), false)
    assert.equal(isEncrypted(42), false)
  })

  it('is portable between machines that share SEED', () => {
    const onA = encryptSecret('portable', deriveSecretKey({ seed: 'shared-seed', machine: machineA }))
    assert.equal(decryptSecret(onA, deriveSecretKey({ seed: 'shared-seed', machine: machineB })), 'portable')
  })

  it('binds the machine key to the machine: another host cannot decrypt', () => {
    const keyA = deriveSecretKey({ machine: machineA })
    assert.equal(keyA.source, 'machine')
    const enc = encryptSecret('local', keyA)
    assert.equal(decryptSecret(enc, deriveSecretKey({ seed: '', machine: machineA })), 'local')
    assert.throws(() => decryptSecret(enc, deriveSecretKey({ machine: machineB }), 'scimgateway.auth.basic[0].password'),
      (err: unknown) => err instanceof SecretDecryptError && err.path === 'scimgateway.auth.basic[0].password' && /SEED is not set/.test(err.message))
  })

  it('fails clearly on a wrong SEED or damaged value, naming the path', () => {
    const enc = encryptSecret('x', seedKey)
    const other = deriveSecretKey({ seed: 'other-seed' })
    assert.throws(() => decryptSecret(enc, other, 'endpoint.password'), (err: unknown) => {
      assert.ok(err instanceof SecretDecryptError)
      assert.match(err.message, /^endpoint\.password: cannot decrypt secret: wrong key or damaged value \(the SEED differs/)
      assert.doesNotMatch(err.message, /\n/)
      return true
    })
    assert.throws(() => decryptSecret(ENCRYPTED_PREFIX + 'AAAA', seedKey, 'p'), /p: encrypted value is truncated/)
    const tampered = enc.slice(0, -2) + (enc.endsWith('AA') ? 'BB' : 'AA')
    assert.throws(() => decryptSecret(tampered, seedKey, 'p'), SecretDecryptError)
  })

  it('decides which values need encryption', () => {
    assert.equal(needsEncryption(['scimgateway', 'auth', 'basic', 0, 'password'], 'pw'), true)
    assert.equal(needsEncryption(['scimgateway', 'auth', 'bearerToken', 0, 'token'], 't'), true)
    assert.equal(needsEncryption(['endpoint', 'clientSecret'], 's'), true)
    assert.equal(needsEncryption(['scimgateway', 'auth', 'basic', 0, 'username'], 'u'), false)
    assert.equal(needsEncryption(['endpoint', 'password'], 'process.env.PW'), false)
    assert.equal(needsEncryption(['endpoint', 'password'], 'process.file./run/s.json'), false)
    assert.equal(needsEncryption(['endpoint', 'password'], ''), false)
    assert.equal(needsEncryption(['endpoint', 'password'], encryptSecret('x', seedKey)), false)
  })
})

describe('encryptSecretsInText (JSON)', () => {
  const text = fixture('plugin-loki.json')

  it('encrypts only the secret tokens and keeps every other byte', () => {
    const r = encryptSecretsInText(text, 'json', seedKey)
    assert.deepEqual(r.changed, [
      'scimgateway.auth.basic[0].password',
      'scimgateway.auth.bearerToken[0].token',
      'scimgateway.auth.bearerOAuth[0].clientSecret',
      'endpoint.password',
      'endpoint.entity.client-a.apiKey'
    ])
    const expected = text
      .replace('"password": "password"', '"password": "<ENC>"')
      .replace('"bearer-token-1"', '"<ENC>"')
      .replace('"oauth-secret"', '"<ENC>"')
      .replace('"endpoint-pw"', '"<ENC>"')
      .replace('"api-key-a"', '"<ENC>"')
    assert.equal(maskEncrypted(r.text), expected)
    assert.equal(JSON.parse(r.text).scimgateway.auth.basic[1].password, null)
  })

  it('does not re-encrypt an encrypted file', () => {
    const once = encryptSecretsInText(text, 'json', seedKey)
    const twice = encryptSecretsInText(once.text, 'json', seedKey)
    assert.deepEqual(twice.changed, [])
    assert.equal(twice.text, once.text)
    assert.deepEqual(cleartextSecretPaths(once.text, 'json'), [])
  })

  it('decrypts back to the original text', () => {
    const enc = encryptSecretsInText(text, 'json', seedKey)
    const dec = decryptSecretsInText(enc.text, 'json', seedKey)
    assert.equal(dec.text, text)
  })

  it('reports every undecryptable value with its path in one ConfigError', () => {
    const enc = encryptSecretsInText(text, 'json', seedKey)
    assert.throws(() => decryptSecretsInText(enc.text, 'json', deriveSecretKey({ seed: 'wrong' }), 'f.json'), (err: unknown) => {
      assert.ok(isConfigError(err))
      assert.equal(err.problems.length, 5)
      assert.equal(err.problems[0]?.path, 'scimgateway.auth.basic[0].password')
      assert.match(err.message, /^Invalid configuration in f\.json \(5 problems\):\n {2}- scimgateway\.auth\.basic\[0\]\.password: cannot decrypt secret/)
      return true
    })
  })

  it('property: any JSON with secrets keeps every byte outside the secret tokens and round-trips', () => {
    const secretKey = fc.constantFrom('password', 'token', 'clientSecret', 'secret', 'apiKey')
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null))
    const tree = fc.letrec(tie => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), tie('obj')),
      obj: fc.dictionary(fc.oneof(secretKey, fc.string({ maxLength: 6 })), tie('node'), { maxKeys: 4 })
    })).obj
    fc.assert(fc.property(tree, fc.integer({ min: 0, max: 3 }), (value, indent) => {
      const text = JSON.stringify(value, null, indent)
      const enc = encryptSecretsInText(text, 'json', seedKey)
      const expected = spliceText(text, parseJsonWithPositions(text).strings
        .filter(t => needsEncryption(t.path, t.value))
        .map(t => ({ start: t.start, end: t.end, text: '"<ENC>"' })))
      assert.equal(maskEncrypted(enc.text), expected)
      assert.equal(decryptSecretsInText(enc.text, 'json', seedKey).text, text)
      assert.deepEqual(encryptSecretsInText(enc.text, 'json', seedKey).changed, [])
    }), { numRuns: 60 })
  })

  it('keeps escapes and odd spacing of untouched tokens', () => {
    const src = '{"a":"x\\u00e9\\n" ,  "password":"p\\"w",\n\t"b" : [ "password" ]}'
    const r = encryptSecretsInText(src, 'json', seedKey)
    assert.equal(maskEncrypted(r.text), '{"a":"x\\u00e9\\n" ,  "password":"<ENC>",\n\t"b" : [ "password" ]}')
    assert.equal(decryptSecret(JSON.parse(r.text).password, seedKey), 'p"w')
  })
})

describe('encryptSecretsInText (YAML)', () => {
  const text = fixture('stream.yaml')

  it('keeps comments, quoting and layout; block scalars become quoted', () => {
    const r = encryptSecretsInText(text, 'yaml', seedKey)
    assert.deepEqual(r.changed, ['nats.accounts[0].password', 'nats.accounts[1].password', 'collector.client_secret'])
    const expected = text
      .replace("'tenant-a-pw'", '"<ENC>"')
      .replace('|\n        block-pw\n', '"<ENC>"\n')
      .replace('plain-secret', '"<ENC>"')
    assert.equal(maskEncrypted(r.text), expected)
    const back = decryptSecretsInText(r.text, 'yaml', seedKey)
    assert.match(back.text, /password: "tenant-a-pw" {3}# cleartext on first start/)
    assert.match(back.text, /password: "block-pw\\n"/)
    assert.deepEqual(encryptSecretsInText(r.text, 'yaml', seedKey).changed, [])
  })
})
