// `scim-stream init`: the first start without a config file. Writes a commented config with the
// requested tenants, generates the NATS operator, system account and one account per tenant (with
// its signing keys) into <config dir>/nats/credentials.json, and the TLS CA/cert/key into
// <config dir>/certs. Refuses to overwrite an existing config unless --force.
import { access, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assertTenantName, createOperator, createTenant, ensureTlsFiles, loadCredentials, saveCredentials } from '../nats/index.ts'
import type { CredentialStore } from '../nats/index.ts'
import { configDirOf } from '../config.ts'
import { CliFailure, UsageError, one, type CliIo, type Flags } from './shared.ts'

/** Runs `init`; returns the exit code. */
export async function initCommand (configFile: string, flags: Flags, io: CliIo): Promise<number> {
  const names = flags.get('tenant') ?? []
  const kinds = flags.get('collector') ?? []
  if (names.length === 0) throw new UsageError('init needs at least one --tenant <name> --collector hr|entra')
  if (kinds.length !== names.length) throw new UsageError('give one --collector per --tenant')
  const tenants = names.map((name, i) => {
    try { assertTenantName(name) } catch (err) { throw new UsageError((err as Error).message) }
    const kind = kinds[i]
    if (kind !== 'hr' && kind !== 'entra') throw new UsageError(`--collector must be hr or entra, got "${kind ?? ''}"`)
    return { name, kind: kind as 'hr' | 'entra' }
  })
  if (new Set(names).size !== names.length) throw new UsageError('a tenant name is given twice')
  const force = one(flags, 'force') === 'true'
  // Not a usage mistake: the command line was right, the file is just there already.
  if (!force && await exists(configFile)) throw new CliFailure(`${configFile} exists already; nothing written. Edit it, or run init again with --force to overwrite it (NATS credentials of existing tenants are kept).`)

  const dir = configDirOf(configFile)
  const natsDir = join(dir, 'nats')
  await mkdir(natsDir, { recursive: true, mode: 0o700 })
  const credFile = join(natsDir, 'credentials.json')
  const store: CredentialStore = await loadCredentials(credFile) ?? { version: 1, operator: await createOperator(), tenants: {} }
  for (const t of tenants) store.tenants[t.name] ??= await createTenant(store.operator, t.name)
  await saveCredentials(credFile, store)
  const tls = await ensureTlsFiles(join(dir, 'certs'))
  await writeFile(configFile, renderConfig(tenants), { mode: 0o600 })
  io.out(`wrote ${configFile}\nNATS credentials: ${credFile}\nCA certificate: ${tls.caFile}\n` +
    `Next: edit the collector settings, start with "scim-stream --config ${configFile}", ` +
    'and give gateways "scim-stream credentials --tenant <t> --type hr|entra|gw".')
  return 0
}

function renderConfig (tenants: ReadonlyArray<{ name: string, kind: 'hr' | 'entra' }>): string {
  const section = (kind: 'hr' | 'entra'): string => {
    const list = tenants.filter(t => t.kind === kind)
    if (list.length === 0) return `${kind}: {}\n`
    return `${kind}:\n${list.map(t => tenantBlock(t.name, kind)).join('')}`
  }
  return `# SCIM Stream configuration (written by "scim-stream init").
# Secrets (password, client_secret, …) are encrypted in place on the first start (key: SEED).
# Environment overrides: SCIM-STREAM_<PATH> / SCIM_STREAM_<PATH>, e.g. SCIM_STREAM_NATS_SERVER_PORT=9012.
${section('hr')}${section('entra')}
log:
  console: true
  level: info
  # file: logs/scim-stream.log
  max_size: 20
  max_backups: 5

email:
  # smtp: { host: smtp.example.com, port: 587, username: user, password: secret }
  on_error:
    enabled: false
    send_interval: 15
    subject: SCIM Stream error
    to: []

nats:
  server:
    use_external_server: false
    port: 9012
    # encryption_at_rest_key: change-me
    trace: false
  publisher:
${tenants.map(t => `    ${t.name}:\n      max_age: 14\n`).join('')}`
}

function tenantBlock (name: string, kind: 'hr' | 'entra'): string {
  const auth = kind === 'hr'
    ? `    auth:
      base_urls: [ "https://hr.example.com/odata/v2" ]
      # basic: { username: user, password: secret }
`
    : `    auth:
      # App registrations with the Graph application permissions User.Read.All, GroupMember.Read.All
      # and Application.Read.All (admin consent); several are used round-robin (Graph throttles per
      # application). Secrets are encrypted in place on the first start.
      oauth:
        clients:
          - client_id: "00000000-0000-0000-0000-000000000000"
            client_secret: change-me
      # login_url: https://login.microsoftonline.com
      # graph_url: https://graph.microsoft.com
`
  const query = kind === 'hr'
    ? `      collect_query_string: "/PerPerson?$expand=personalInfoNav,emailNav,employmentNav/jobInfoNav&$format=json"
      # collect_query_result_path: d.results
      pre_activate_days: 7
`
    : `      do_initial_load_filter: null   # e.g. (user.groups.display -match "App1"): republish only those once
      entra:
        tenant_id: "00000000-0000-0000-0000-000000000000"
        include_guest_users: false
        skip_upn_startswith: []
        use_original_group_id: false   # group value = displayName; true: the Entra group id
      # select: [id, userPrincipalName, givenName, surname, displayName, mail, jobTitle, department, accountEnabled, employeeId]
      group_membership: direct      # direct | transitive | none
      app_roles: true
      # app_role_resources: []     # applications (service principal object ids or appIds) whose role
      #                            # grants are also watched when no collected user has one of their roles yet
      max_concurrency: 8
      request_timeout: 60
`
  const mapper = kind === 'hr'
    ? `        - { source: personIdExternal, map_to: externalId }
        - { source: 'emailNav.results.[{"isPrimary":true}].emailAddress', map_to: userName }
        - { source: 'personalInfoNav.results.[0].firstName', map_to: name.givenName }
        - { source: 'personalInfoNav.results.[0].lastName', map_to: name.familyName }
        - { source: '(employmentNav.results -most_current "startDate").jobInfoNav.results.[0].department', map_to: department }
`
    : `        - { source: id, map_to: externalId }
        - { source: userPrincipalName, map_to: userName }
        - { source: givenName, map_to: name.givenName }
        - { source: surname, map_to: name.familyName }
        - { source: displayName, map_to: displayName }
        - { source: mail, map_to: 'emails[type eq "work"].value' }
        - { source: jobTitle, map_to: title }
        - { source: accountEnabled, map_to: active }
        - { source: department, map_to: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department' }
        - { source: employeeId, map_to: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber' }
        - { source: memberOf, map_to: groups }
        - { source: appRoles, map_to: roles }
`
  return `  ${name}:
${auth}    general:
      collect_interval: 300
      do_initial_load: true
${query}    streams:
      - channel: ALL
        comment: every user with all groups and roles
        rules:
          - filter: '(.*)'
    dynamics: []
    mapper:
      user:
${mapper}`
}

async function exists (file: string): Promise<boolean> {
  try { await access(file); return true } catch { return false }
}
