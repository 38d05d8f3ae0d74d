#!/usr/bin/env -S npx tsx
// Lists and replays the dead letters of a gateway's subscribing entity (docs/stream.md): those in
// the tenant's JetStream DLQ (`<seq>`) and those the gateway kept locally because the tenant has no
// usable DLQ (`L<stream seq>`, in <state dir>/<consumer>.dead-letters.jsonl).
//   tsx scripts/stream-dlq.ts list <plugin> <baseEntity>
//   tsx scripts/stream-dlq.ts replay <plugin> <baseEntity> <seq|L<seq>|all>
// NATS servers, CA, tenant and the state directory come from config/plugin-<plugin>.json
// (SCIM_CONFIG_DIR; state dir = `<log directory>/stream`, or `--state-dir <dir>`); reading the
// dead-letter stream and republishing need the tenant's publisher credentials: `--creds <file>`
// (a NATS .creds file), or SCIM_STREAM_CREDS=<file>, or SCIM_STREAM_JWT + SCIM_STREAM_SEED.
import { readFileSync } from 'node:fs'
import { loadPluginConfig, isConfigError } from '../lib/config/index.ts'
import { connect, jwtAuthenticator } from '@nats-io/transport-node'
import { streamPlanFromConfig, durableName, streamStateDir } from '../lib/stream/index.ts'
import { entityDeadLetters, entityLocalDeadLetters, replayEntityDeadLetters, replayLocalDeadLetters, type ReplayResult } from '../lib/stream/dead-letters.ts'
import type { DeadLetter } from '../lib/stream/contract/index.ts'

const USAGE = 'usage: tsx scripts/stream-dlq.ts list <plugin> <baseEntity> | replay <plugin> <baseEntity> <seq|L<seq>|all>  [--creds <file>] [--state-dir <dir>]'

/** Takes `--name <value>` out of argv. */
function flag (argv: string[], name: string): { value: string | undefined, rest: string[] } {
  const at = argv.indexOf(name)
  if (at < 0) return { value: undefined, rest: argv }
  return { value: argv[at + 1], rest: argv.filter((_, i) => i !== at && i !== at + 1) }
}

async function main (argv: string[]): Promise<number> {
  const c = flag(argv, '--creds')
  const sd = flag(c.rest, '--state-dir')
  const credsFile = c.value ?? process.env.SCIM_STREAM_CREDS
  const args = sd.rest
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
  const stateDir = sd.value ?? streamStateDir(config, { configDir })
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
    const tenant = entity.nats.tenant
    // a deployed server has no <tenant>_DLQ: then only the local ones exist
    let remote: DeadLetter[] = []
    let remoteNote: string | undefined
    try {
      remote = await entityDeadLetters(nc, tenant, consumer)
    } catch (err) {
      remoteNote = `${tenant}_DLQ not readable (${err instanceof Error ? err.message : String(err)})`
    }
    const local = entityLocalDeadLetters(stateDir, consumer)
    if (command === 'list') {
      for (const d of remote) {
        process.stdout.write(`${d.seq}\t${d.failedAt}\t${d.originalSubject}\tMsg-Id=${d.msgId || '(none)'}\tstream seq ${d.streamSeq}\t${d.reason}\n`)
      }
      for (const d of local) {
        process.stdout.write(`${d.id}\t${d.time}\t${d.subject}\tMsg-Id=${d.msgId || '(none)'}\tstream seq ${d.streamSeq}\t${d.reason}\n`)
      }
      if (remoteNote !== undefined) process.stderr.write(`note: ${remoteNote}\n`)
      process.stdout.write(`${remote.length + local.length} dead letter(s) of ${consumer}: ${remote.length} in ${tenant}_DLQ, ${local.length} local in ${stateDir}\n`)
    } else {
      const target = which as string
      const isLocal = /^L\d+$/.test(target)
      if (target !== 'all' && !isLocal && !/^\d+$/.test(target)) { process.stderr.write(`${USAGE}\n`); return 2 }
      const done: ReplayResult[] = []
      if (target === 'all' || !isLocal) {
        if (remote.length > 0 || target !== 'all') done.push(...await replayEntityDeadLetters(nc, tenant, consumer, target === 'all' ? 'all' : Number(target)))
      }
      if (target === 'all' || isLocal) {
        if (local.length > 0 || target !== 'all') done.push(...await replayLocalDeadLetters(nc, stateDir, consumer, target))
      }
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
