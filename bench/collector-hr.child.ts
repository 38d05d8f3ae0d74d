// Child process of bench/collector.bench.ts: the HR emulator in its own process, so the service's
// figures (CPU, peak RSS) are not mixed with page generation. Prints its URL; on stdin the line
// `revision <n> <every>` changes the department of every <every>-th person, answered with `ok`.
import { createInterface } from 'node:readline'
import { startHrEmulator } from '../test/support/hr-emulator.ts'

const persons = Number(process.env.PERSONS ?? 100_000)
const emu = await startHrEmulator({ persons, pageSize: 1000 })
process.stdout.write(`url ${emu.url}\n`)
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, rev, every] = line.trim().split(/\s+/)
  if (cmd === 'revision') {
    emu.setPersons(persons, { revision: Number(rev), changeEvery: Number(every) })
    process.stdout.write('ok\n')
  }
}
await emu.stop()
