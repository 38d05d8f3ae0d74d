// Demo: runs the SuccessFactors-shaped HR emulator (test/support/hr-emulator.ts) until Ctrl-C.
//   PORT=8880 PERSONS=2500 PAGE_SIZE=1000 npx tsx scripts/hr-emulator.ts
// Without PORT a free port is chosen and printed; HOST=0.0.0.0 listens on every interface (containers). Accepts basic demo/demo or an OAuth token from
// POST /oauth/token (client_credentials, demo/demo).
import { startHrEmulator } from '../test/support/hr-emulator.ts'

const persons = Number(process.env.PERSONS ?? 100)
const pageSize = Number(process.env.PAGE_SIZE ?? 1000)
const emu = await startHrEmulator({
  persons,
  pageSize,
  port: Number(process.env.PORT ?? 0),
  ...(process.env.HOST !== undefined ? { host: process.env.HOST } : {}),
  auth: { basic: { username: 'demo', password: 'demo' }, oauth: { clients: [{ client_id: 'demo', client_secret: 'demo' }] } }
})

console.log(`HR emulator: ${persons} persons, page size ${pageSize}`)
console.log(`  curl -u demo:demo '${emu.url}/odata/v2/PerPerson?$expand=personalInfoNav,emailNav,employmentNav/jobInfoNav&$format=json'`)
console.log(`  also ${emu.url}/odata/v4/PerPerson, ${emu.url}/api/persons, POST ${emu.url}/oauth/token`)
process.on('SIGINT', () => { void emu.stop().then(() => process.exit(0)) })
