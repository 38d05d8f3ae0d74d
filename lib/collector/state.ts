// The last published state per tenant / channel / user: what each channel's subscribers were last
// told about each user, as ViewParts: the user without groups/roles (`base`, one string shared by
// all channels of a user) and the channel's groups/roles fragment (`gr`). A local store, one
// append-only file per tenant (`<dir>/<tenant>.state.jsonl`), held in memory and compacted on open.
// Line format: `<channel JSON>\t<key JSON>\t<base>\t<gr>` or `<channel JSON>\t<key JSON>\t-` (gone):
// JSON text never contains a raw tab or newline, so the texts are written as they are.
//
// Why local and not a JetStream KV bucket (see docs/scim-stream.md): a KV put is one more
// acknowledged JetStream publish per changed user and channel (doubling the publish work of an
// initial load), the bucket would live in the tenant's account limits, and on an external cluster it
// would need extra permissions for the publisher. The price: the state is bound to this machine; a
// service moved without its state directory republishes every user once (subscribers are idempotent).
//
// Durability: `set` is called only after JetStream acknowledged the message; lines are buffered and
// appended in batches (flush), so a crash loses at most the last batch of *records*, never a change:
// those users are simply published again on the next run.
import { createReadStream } from 'node:fs'
import { appendFile, mkdir, rename, writeFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { ViewParts } from './diff.ts'

/** The published state of one tenant. */
export interface TenantState {
  /** Channel view of `key` last published on `channel`, if any. */
  get (channel: string, key: string): ViewParts | undefined
  /** Records what was published (`undefined` = deleted / left the channel). Call after the ack. */
  set (channel: string, key: string, view: ViewParts | undefined): void
  /** Channels that hold state. */
  channels (): string[]
  /** Keys with state on `channel`. */
  keys (channel: string): IterableIterator<string>
  /** Number of (channel, user) entries. */
  size (): number
  /** Appends buffered records to the file. */
  flush (): Promise<void>
}

/** Options of {@link openTenantState}. */
export interface StateOptions {
  /** Flush automatically when this many bytes are buffered (default 1 MB). */
  flushBytes?: number
}

/**
 * Opens (loading and compacting) the state file of a tenant in `dir`.
 * @example const state = await openTenantState('/var/lib/scim-stream/state', 'acme')
 */
export async function openTenantState (dir: string, tenant: string, opts: StateOptions = {}): Promise<TenantState> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, `${tenant}.state.jsonl`)
  const byChannel = new Map<string, Map<string, ViewParts>>()
  const lines = await load(file, byChannel)
  let live = 0
  for (const m of byChannel.values()) live += m.size
  if (lines > live * 2 + 1000) await compact(file, byChannel)
  const flushBytes = opts.flushBytes ?? 1024 * 1024
  let buffer: string[] = []
  let buffered = 0
  let writing: Promise<void> = Promise.resolve()

  const flush = async (): Promise<void> => {
    if (buffer.length > 0) {
      const chunk = buffer.join('')
      buffer = []
      buffered = 0
      writing = writing.then(async () => { await appendFile(file, chunk, { mode: 0o600 }) })
    }
    await writing
  }

  return {
    get: (channel, key) => byChannel.get(channel)?.get(key),
    set (channel, key, view) {
      let m = byChannel.get(channel)
      if (view === undefined) {
        if (m === undefined || !m.delete(key)) return
      } else {
        if (m === undefined) byChannel.set(channel, m = new Map())
        m.set(key, view)
      }
      const line = lineOf(channel, key, view)
      buffer.push(line)
      buffered += line.length
      if (buffered >= flushBytes) void flush().catch(() => { /* reported by the next flush() */ })
    },
    channels: () => [...byChannel.keys()].filter(c => (byChannel.get(c)?.size ?? 0) > 0),
    keys: (channel) => (byChannel.get(channel) ?? new Map<string, ViewParts>()).keys(),
    size () {
      let n = 0
      for (const m of byChannel.values()) n += m.size
      return n
    },
    flush
  }
}

async function load (file: string, byChannel: Map<string, Map<string, ViewParts>>): Promise<number> {
  try {
    await stat(file)
  } catch {
    return 0
  }
  let lines = 0
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })
  for await (const line of rl) {
    if (line === '') continue
    lines++
    const t1 = line.indexOf('\t')
    const t2 = t1 === -1 ? -1 : line.indexOf('\t', t1 + 1)
    let channel: unknown
    let key: unknown
    try {
      if (t2 === -1) throw new Error('no tabs')
      channel = JSON.parse(line.slice(0, t1))
      key = JSON.parse(line.slice(t1 + 1, t2))
    } catch {
      continue // a torn last line after a crash: the change is republished
    }
    if (typeof channel !== 'string' || typeof key !== 'string') continue
    const rest = line.slice(t2 + 1)
    let m = byChannel.get(channel)
    if (rest === '-') {
      m?.delete(key)
      continue
    }
    const t3 = rest.indexOf('\t')
    if (t3 === -1) continue // torn
    const base = rest.slice(0, t3)
    const gr = rest.slice(t3 + 1)
    if (!base.endsWith('}') || (gr !== '' && !gr.endsWith(']'))) continue // torn
    if (m === undefined) byChannel.set(channel, m = new Map())
    m.set(key, { base: internBase(byChannel, key, base), gr })
  }
  return lines
}

async function compact (file: string, byChannel: Map<string, Map<string, ViewParts>>): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, '', { mode: 0o600 })
  let chunk: string[] = []
  for (const [channel, m] of byChannel) {
    for (const [key, view] of m) {
      chunk.push(lineOf(channel, key, view))
      if (chunk.length >= 5000) { await appendFile(tmp, chunk.join('')); chunk = [] }
    }
  }
  if (chunk.length > 0) await appendFile(tmp, chunk.join(''))
  await rename(tmp, file)
}

function lineOf (channel: string, key: string, view: ViewParts | undefined): string {
  const rest = view === undefined ? '-' : `${view.base}\t${view.gr}`
  return `${JSON.stringify(channel)}\t${JSON.stringify(key)}\t${rest}\n`
}

/** The same base text another channel of the user already holds, so memory keeps one copy. */
function internBase (byChannel: Map<string, Map<string, ViewParts>>, key: string, base: string): string {
  for (const m of byChannel.values()) {
    const other = m.get(key)?.base
    if (other === base) return other
  }
  return base
}
