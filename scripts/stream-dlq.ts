#!/usr/bin/env -S npx tsx
// Lists and replays the dead letters of a gateway's subscribing entity (docs/stream.md).
//   tsx scripts/stream-dlq.ts list <plugin> <baseEntity>
//   tsx scripts/stream-dlq.ts replay <plugin> <baseEntity> <seq|all>
// NATS servers, CA and tenant come from config/plugin-<plugin>.json (SCIM_CONFIG_DIR); reading the
// dead-letter stream and republishing need the tenant's publisher credentials: `--creds <file>`
// (a NATS .creds file), or SCIM_STREAM_CREDS=<file>, or SCIM_STREAM_JWT + SCIM_STREAM_SEED.
import { readFileSync } from 'node:fs'
import { loadPluginConfig, isConfigError } from '../lib/config/index.ts'
import { connect, jwtAuthenticator } from '@nats-io/transport-node'
import { streamPlanFromConfig, durableName } from '../lib/stream/index.ts'
import { entityDeadLetters, replayEntityDeadLetters } from '../lib/stream/dead-letters.ts'

const USAGE = 'usage: tsx scripts/stream-dlq.ts list <plugin> <baseEntity> | replay <plugin> <baseEntity> <seq|all>  [--creds <file>]'

async function main (argv: string[]): Promise<number> {
  const credsAt = argv.indexOf('--creds')
  const credsFile = credsAt >= 0 ? argv[credsAt + 1] : process.env.SCIM_STREAM_CREDS
  const args = credsAt >= 0 ? argv.filter((_, i) => i !== credsAt && i !== credsAt + 1) : argv
  const [command, plugin, baseEntity, which] = args
  if (plugin === undefined || baseEntity === undefined || !((command === 'list' && which === undefined) || (command === 'replay' && which !== undefined))) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const { config, configDir } = await loadPluginConfig(plugin, { encryptInPlace: false })
  const plan = streamPlanFromConfig(config, configDir)
  const entity = plan.subscribers.find(s => s.baseEntity === baseEntity && s.kind === 'jetstream')
  if (entity === undefined) {
    process.stderr.write(`plugin-${plugin} has no enabled JetStream subscriber entity "${baseEntity}"\n`)
    return 2
  }
  const creds = credentials(credsFile) ?? { jwt: entity.nats.jwt, seed: entity.nats.seed }
  if (credsFile === undefined && process.env.SCIM_STREAM_JWT === undefined) {
    process.stderr.write('note: no publisher credentials given (--creds); trying the entity\'s subscriber user, which may not read dead letters\n')
  }
  const nc = await connect({
    servers: plan.servers,
    authenticator: jwtAuthenticator(creds.jwt, new TextEncoder().encode(creds.seed)),
    tls: plan.caPem !== undefined ? { ca: plan.caPem } : {},
    name: 'stream-dlq',
    timeout: 10_000
  })
  try {
    // the gateway names its consumer after its plugin's name, which is the config's name
    const consumer = durableName(pluginNameOf(plugin), baseEntity)
    if (command === 'list') {
      const letters = await entityDeadLetters(nc, entity.nats.tenant, consumer)
      for (const d of letters) {
        process.stdout.write(`${d.seq}\t${d.failedAt}\t${d.originalSubject}\tMsg-Id=${d.msgId || '(none)'}\tstream seq ${d.streamSeq}\t${d.reason}\n`)
      }
      process.stdout.write(`${letters.length} dead letter(s) of ${consumer} in ${entity.nats.tenant}_DLQ\n`)
    } else {
      const target = which === 'all' ? 'all' : Number(which)
      if (target !== 'all' && !Number.isInteger(target)) { process.stderr.write(`${USAGE}\n`); return 2 }
      const done = await replayEntityDeadLetters(nc, entity.nats.tenant, consumer, target)
      for (const r of done) process.stdout.write(`replayed ${r.seq} → ${r.subject} (Msg-Id ${r.msgId || '(none)'}, stream seq ${r.streamSeq})\n`)
      process.stdout.write(`${done.length} dead letter(s) replayed\n`)
    }
  } finally {
    await nc.close()
  }
  return 0
}

/** The plugin name a gateway runs under (`plugin-loki` → `loki`). */
function pluginNameOf (name: string): string {
  return name.replace(/^plugin-/, '')
}

function credentials (file: string | undefined): { jwt: string, seed: string } | undefined {
  if (file !== undefined) {
    const text = readFileSync(file, 'utf8')
    const jwt = /-----BEGIN NATS USER JWT-----\s*([^\s-][^\s]*)\s*------END NATS USER JWT------/.exec(text)?.[1]
    const seed = /(SU[A-Z2-7]{56})/.exec(text)?.[1]
    if (jwt === undefined || seed === undefined) throw new Error(`${file} is not a NATS .creds file`)
    return { jwt, seed }
  }
  const jwt = process.env.SCIM_STREAM_JWT
  const seed = process.env.SCIM_STREAM_SEED
  return jwt !== undefined && seed !== undefined ? { jwt, seed } : undefined
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`${isConfigError(err) ? err.message : err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
