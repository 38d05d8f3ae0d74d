// `scim-stream rules test`: a dry run for one user of a tenant, without publishing — which dynamics
// apply, which channels the user matches (and which not), and the exact message each channel would
// get given what was last published (the local state; a createUser when nothing was).
// The input file is either a SCIM user (it has `userName` or `schemas`) or a collector record that
// the tenant's mapper turns into one (for Entra the built-in mapper merged with the tenant's, as the
// service maps). The rules see what the pipeline gives them: the initiator (`@initiatedBy: { id, upn }`
// in the file, as the Entra collector sets it from the audit log; else scim-stream) and the Enterprise
// application names by object id (`@roleApps` in the file), so rules on initiatedByUpn/initiatedById
// and `user.roles.<object id>` answer here as they do in the service. Those keys never reach the user.
import { readFile } from 'node:fs/promises'
import { isJsonObject, type JsonObject, type JsonValue } from '../../scim/types.ts'
import { compileTenantMapper } from '../tenant-mapper.ts'
import { INITIATOR_KEY, initiatorOf, ruleMessage } from '../initiator.ts'
import { GROUP_IDS_KEY, ROLE_APPS_KEY } from '../rules/index.ts'
import { compileDynamics, applyDynamics, type DynamicDef } from '../dynamics/index.ts'
import { compileStreamRules } from '../rules/index.ts'
import { configPath, loadStreamConfig, tenantsOf } from '../config.ts'
import { diffView, membershipOf, prepareUser } from '../diff.ts'
import { messageJson, subjectOf } from '../message.ts'
import { keyOf } from '../pipeline.ts'
import { openTenantState } from '../state.ts'
import { required, type CliIo, type Flags } from './shared.ts'

/** Runs `rules test`; returns the exit code. */
export async function rulesTestCommand (configFile: string, flags: Flags, io: CliIo): Promise<number> {
  const tenant = required(flags, 'tenant')
  const userFile = required(flags, 'user')
  const { config, configDir } = await loadStreamConfig(configFile, { env: io.env, encryptInPlace: false })
  const t = tenantsOf(config).find(x => x.name === tenant)
  if (t === undefined) throw new Error(`no tenant "${tenant}" under hr or entra in ${configFile}`)
  let input: JsonValue
  try {
    input = JSON.parse(await readFile(userFile, 'utf8')) as JsonValue
  } catch (err) {
    throw new Error(`cannot read ${userFile}: ${(err as Error).message}`)
  }
  if (!isJsonObject(input)) throw new Error(`${userFile} must hold a JSON object`)
  const isScim = typeof input.userName === 'string' || Array.isArray(input.schemas)
  const person: JsonObject = input
  let user: JsonObject = { ...input }
  delete user[INITIATOR_KEY]
  delete user[ROLE_APPS_KEY]
  delete user[GROUP_IDS_KEY]
  const mappingErrors: string[] = []
  if (!isScim) {
    const mapped = compileTenantMapper(t.type, t.tenant.mapper, `${t.type}.${tenant}.mapper`).map(person)
    user = mapped.user
    for (const e of mapped.errors) mappingErrors.push(`${e.path} (${e.mapTo}): ${e.message}`)
  }
  const { user: withDynamics, dynamicIds } = applyDynamics(user, compileDynamics(t.tenant.dynamics as unknown as DynamicDef[]))
  const streams = compileStreamRules(t.tenant.streams)
  const by = initiatorOf(person, { id: 'scim-stream', upn: `scim-stream@${tenant}` })
  const views = streams.evaluate(ruleMessage(withDynamics, by, person))
  const key = keyOf(withDynamics) ?? '(no userName/externalId)'
  const state = await openTenantState(configPath(configDir, config.state.dir ?? 'state'), tenant)
  const prepared = prepareUser(withDynamics)
  const channels = views.map(v => {
    const change = diffView(state.get(v.channel, key), prepared, membershipOf(v.user))
    return {
      channel: v.channel,
      subject: subjectOf(t.type, v.channel),
      matchedRules: v.matchedRules,
      message: change === undefined || change.recordOnly === true
        ? null
        : JSON.parse(messageJson(change.activityOperation, change.operationsJson, change.userJson,
          { id: typeof withDynamics.id === 'string' ? withDynamics.id : key, upn: typeof withDynamics.userName === 'string' ? withDynamics.userName : key },
          by, new Date())) as JsonValue
    }
  })
  const report = {
    tenant,
    input: isScim ? 'SCIM user' : 'collector record (mapped)',
    ...(mappingErrors.length > 0 ? { mappingErrors } : {}),
    dynamics: dynamicIds,
    channels,
    notMatched: streams.channels.filter(c => !views.some(v => v.channel === c))
  }
  io.out(JSON.stringify(report, null, 2))
  return 0
}
