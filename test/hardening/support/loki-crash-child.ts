// Child process for journal-safety.test.ts: opens a plugin-loki journal, creates `count` users,
// says READY and waits to be killed (SIGKILL: no clean shutdown, as in a crash).
import { createLokiPlugin } from '../../../lib/plugins/plugin-loki.ts'
import { silentLogger } from '../../../lib/logging/types.ts'

const [file, count] = process.argv.slice(2)
const p = createLokiPlugin({ persistence: { file: file ?? '' }, demoData: false })
await p.start?.(silentLogger)
const ctx = { baseEntity: undefined, log: silentLogger, signal: new AbortController().signal, requestId: 'crash' }
for (let i = 0; i < Number(count ?? 1); i++) await p.createUser?.({ userName: `before-crash-${i}` }, ctx)
process.stdout.write('READY\n')
setInterval(() => {}, 1000)
