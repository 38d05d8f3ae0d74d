// Child process of bench/http.bench.ts: a gateway with plugin-loki and basic auth on a free port.
// BENCH_PERSISTENCE=<file> gives it a journal (fsync on, the shipped default); without it the store
// is in memory. Counts durable journal commits (IPC 'syncs'). Reports its port on stdout and its memory on IPC request, so the load generator runs
// in another process (another core) and does not disturb the figures.
import { ScimGateway } from '../../lib/core/gateway.ts'
import { createLokiPlugin } from '../../lib/plugins/plugin-loki.ts'
import { basicAuthenticator } from '../../lib/auth/index.ts'
import { silentLogger } from '../../lib/logging/types.ts'
import { open, rm } from 'node:fs/promises'
import { constants } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// counts fdatasync calls (the journal's group commits) so the bench can print writes per commit
const probeFile = join(tmpdir(), `bench-probe-${process.pid}`)
const probe = await open(probeFile, 'w')
const fileHandleProto = Object.getPrototypeOf(probe) as { datasync: (...a: unknown[]) => Promise<void>, write: (...a: unknown[]) => Promise<unknown> }
await probe.close()
await rm(probeFile, { force: true })
// group commits: with O_DSYNC (Linux) each journal write is one durable commit; elsewhere each
// fdatasync is. The bench server writes nothing else while it runs.
let syncs = 0
const datasync = fileHandleProto.datasync
const write = fileHandleProto.write
const O_DSYNC = (constants as { O_DSYNC?: number }).O_DSYNC
fileHandleProto.datasync = async function (this: unknown, ...a: unknown[]) { if (O_DSYNC === undefined) syncs++; return await datasync.apply(this, a) }
fileHandleProto.write = async function (this: unknown, ...a: unknown[]) { if (O_DSYNC !== undefined) syncs++; return await write.apply(this, a) }

const file = process.env.BENCH_PERSISTENCE
const gw = new ScimGateway({
  plugin: createLokiPlugin({ persistence: file !== undefined && file !== '' ? { file } : 'memory', demoData: false }),
  options: { port: 0, localhostOnly: true, authenticators: [basicAuthenticator([{ username: 'gwadmin', password: 'password' }])] },
  log: silentLogger
})
await gw.start()
process.stdout.write(`PORT ${gw.port}\n`)
process.on('message', (m) => {
  if (m === 'mem') {
    global.gc?.()
    process.send?.({ rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed })
  }
  if (m === 'cpu') {
    const u = process.cpuUsage()
    process.send?.({ cpuMicros: u.user + u.system })
  }
  if (m === 'syncs') process.send?.({ syncs })
  if (m === 'stop') void gw.stop().then(() => process.exit(0))
})
