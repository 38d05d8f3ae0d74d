#!/usr/bin/env -S npx tsx
// Encrypts or decrypts the secrets of a config file (JSON or YAML) on demand, in place, keeping
// the rest of the file byte-for-byte. The key comes from SEED, else from this machine (as at load).
//   tsx scripts/config-secrets.ts encrypt config/plugin-loki.json
//   SEED=… tsx scripts/config-secrets.ts decrypt config/stream.yaml
import { resolve } from 'node:path'
import { isConfigError } from '../lib/config/errors.ts'
import { decryptSecretsInText, encryptSecretsInText, formatOf, rewriteFile } from '../lib/config/file-secrets.ts'
import { deriveSecretKey } from '../lib/config/secrets.ts'

const USAGE = 'usage: tsx scripts/config-secrets.ts encrypt|decrypt <config-file>'

async function main (argv: readonly string[]): Promise<number> {
  const [command, fileArg, ...rest] = argv
  if ((command !== 'encrypt' && command !== 'decrypt') || fileArg === undefined || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const file = resolve(fileArg)
  const format = formatOf(file)
  const key = deriveSecretKey({ seed: process.env.SEED })
  if (key.source === 'machine') process.stderr.write('note: SEED is not set; using this machine\'s key\n')
  const op = command === 'encrypt' ? encryptSecretsInText : decryptSecretsInText
  const result = await rewriteFile(file, text => op(text, format, key, file))
  const verb = command === 'encrypt' ? 'encrypted' : 'decrypted'
  process.stdout.write(result.changed.length === 0
    ? `${file}: nothing to ${command}\n`
    : `${file}: ${verb} ${result.changed.length} value(s):\n${result.changed.map(p => `  ${p}\n`).join('')}`)
  return 0
}

main(process.argv.slice(2)).then(code => { process.exitCode = code }, (err: unknown) => {
  if (isConfigError(err)) process.stderr.write(`${err.message}\n`)
  else process.stderr.write(`config-secrets: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
