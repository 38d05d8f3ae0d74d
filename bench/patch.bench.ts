// Benchmark of the SCIM PATCH engine: a typical 3-operation Entra ID PATCH (replace displayName,
// add emails[type eq "work"].value, replace active "False") applied to a typical user, plus the
// request parsing and a diff. A program, not a test: `npx tsx bench/patch.bench.ts`.
// Prints ops/s (median of several timed rounds after warm-up), node version and CPU model.
import { cpus, loadavg } from 'node:os'
import { applyPatch, diffResources, parsePatchRequest } from '../lib/scim/patch/index.ts'
import { coreResourceSchema } from '../lib/scim/schema/resolve.ts'
import type { ScimResource } from '../lib/scim/types.ts'

const schema = coreResourceSchema('User')

const user: ScimResource = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: '701984',
  userName: 'bjensen@example.com',
  name: { formatted: 'Ms. Barbara J Jensen, III', familyName: 'Jensen', givenName: 'Barbara', middleName: 'Jane' },
  displayName: 'Babs Jensen',
  title: 'Tour Guide',
  preferredLanguage: 'en-US',
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' }
  ],
  phoneNumbers: [{ value: '555-555-5555', type: 'work' }, { value: '555-555-4444', type: 'mobile' }],
  addresses: [{ type: 'work', streetAddress: '100 Universal City Plaza', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'USA', primary: true }],
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '701984', department: 'Tour Operations', manager: { value: '26118915-6090-4610-87e4-49d8ca9f808d' } },
  meta: { resourceType: 'User', created: '2010-01-23T04:56:22Z', lastModified: '2011-05-13T04:42:34Z', version: 'W/"3694e05e9dff591"' }
}

const body = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations: [
    { op: 'Replace', path: 'displayName', value: 'Barbara Jensen' },
    { op: 'Add', path: 'emails[type eq "work"].value', value: 'barbara.jensen@example.com' },
    { op: 'Replace', path: 'active', value: 'False' }
  ]
}
const ops = parsePatchRequest(body)
const after = applyPatch(user, ops, schema)

function measure (name: string, fn: () => unknown, perRound = 200_000, rounds = 7): void {
  for (let i = 0; i < perRound / 4; i++) fn() // warm-up
  const rates: number[] = []
  let sink = 0
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < perRound; i++) if (fn() !== undefined) sink++ // keeps the result alive
    const ns = Number(process.hrtime.bigint() - t0)
    rates.push(perRound / (ns / 1e9))
  }
  if (sink !== perRound * rounds) throw new Error(`${name}: the function returned nothing`)
  rates.sort((a, b) => a - b)
  const median = rates[Math.floor(rates.length / 2)] ?? 0
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(11)
  console.log(`${name.padEnd(52)} ${fmt(median)} ops/s   (min ${fmt(rates[0] ?? 0)}, max ${fmt(rates[rates.length - 1] ?? 0)})`)
}

console.log(`node ${process.version} on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), ${process.platform}/${process.arch}`)
console.log(`load average at start: ${loadavg().map(n => n.toFixed(2)).join(' ')} (other processes on the machine skew the figures)`)
console.log('method: median of 7 timed rounds after warm-up, single thread; a typical user (15 attributes, enterprise extension)\n')
measure('applyPatch, 3 ops (pre-parsed operations)', () => applyPatch(user, ops, schema))
measure('parsePatchRequest + applyPatch, 3 ops', () => applyPatch(user, parsePatchRequest(body), schema))
measure('parsePatchRequest only', () => parsePatchRequest(body))
measure('diffResources(user, patched user)', () => diffResources(user, after, schema), 100_000)
