// The gateway's mail from its config, in every shape scimgateway users have:
// - 5.x/6.x: `email.auth {type: oauth|smtp|basic, options}` + `email.emailOnError {enabled, from, to,
//   cc, subject, sendInterval}` — oauth = Microsoft Graph sendMail (client credentials), smtp/basic = SMTP;
// - flat: `email {enabled, smtp{host, port, username, password, …}, proxy, from, to, cc, subject, sendInterval}`;
// - 4.x: top-level `emailOnError.smtp {enabled, host, port, proxy, authenticate, username, password, sendInterval, to, cc}`.
// Gives the Mailer (also behind `sendMail()` for plugins) and the error notifier (every error-level log
// line, batched per sendInterval). Settings that cannot work are ConfigProblems with their paths.
import type { GatewayConfig } from '../config/gateway-schema.ts'
import type { ConfigProblem } from '../config/errors.ts'
import type { Logger } from '../logging/types.ts'
import { createMailer, type Mailer } from './mailer.ts'
import { createGraphMailer } from './graph-mailer.ts'
import { createErrorNotifier, type ErrorNotifier } from './notifier.ts'

type Gw = GatewayConfig['scimgateway']

export interface GatewayMail {
  /** Undefined when no mail is configured. */
  mailer: Mailer | undefined
  /** Undefined unless error mail is enabled. */
  notifier: ErrorNotifier | undefined
  problems: ConfigProblem[]
}

const list = (v: string | string[] | undefined | null): string[] =>
  v === undefined || v === null ? [] : (Array.isArray(v) ? v : v.split(/[,;]/)).map(x => x.trim()).filter(x => x !== '')

/**
 * Builds the mailer and error notifier a gateway config describes.
 * @example const { mailer, notifier, problems } = gatewayMailFromConfig(config.scimgateway, log, { customMasking })
 */
export function gatewayMailFromConfig (g: Gw, log: Logger, opts: { customMasking?: string[] } = {}): GatewayMail {
  const problems: ConfigProblem[] = []
  const e = g.email
  const legacy = g.emailOnError?.smtp
  let mailer: Mailer | undefined
  let onError: { enabled: boolean, to: string[], cc: string[], subject: string, sendInterval: number, path: string } | undefined

  if (e?.auth !== undefined) {
    const o = e.auth.options
    const eoe = e.emailOnError
    const from = eoe?.from ?? undefined
    if (o.serviceAccountKeyFile !== undefined) {
      problems.push({ path: 'scimgateway.email.auth.options.serviceAccountKeyFile', message: 'Google Workspace (Gmail API) mail is not supported; use auth.type "smtp" with smtp.gmail.com and an app password' })
    } else if (e.auth.type === 'oauth') {
      const tenantId = o.azureTenantId ?? o.tenantIdGUID
      const missing = [tenantId === undefined ? 'options.azureTenantId' : '', o.clientId === undefined ? 'options.clientId' : '', o.clientSecret === undefined ? 'options.clientSecret' : ''].filter(x => x !== '')
      if (missing.length > 0) problems.push({ path: 'scimgateway.email.auth', message: `type "oauth" (Microsoft Graph sendMail) needs ${missing.join(', ')}` })
      else if (from === undefined || from === '') problems.push({ path: 'scimgateway.email.emailOnError.from', message: 'type "oauth" sends as a mailbox: set from to its address' })
      else {
        mailer = createGraphMailer({
          tenantId: tenantId ?? '', clientId: o.clientId ?? '', clientSecret: o.clientSecret ?? '', from, log,
          ...(o.authorityUrl !== undefined ? { authorityUrl: o.authorityUrl } : {}),
          ...(o.graphUrl !== undefined ? { graphUrl: o.graphUrl } : {})
        })
      }
    } else if (o.host === undefined || o.host === '') {
      problems.push({ path: 'scimgateway.email.auth.options.host', message: `type "${e.auth.type}" (SMTP) needs the server's host` })
    } else {
      mailer = createMailer({
        smtp: {
          host: o.host, port: o.port ?? 587,
          ...(o.secure !== undefined ? { secure: o.secure } : {}),
          ...(o.username !== undefined ? { username: o.username } : {}),
          ...(o.password !== undefined ? { password: o.password } : {}),
          ...(o.proxy !== undefined ? { proxy: o.proxy } : {})
        },
        from: from ?? o.username ?? 'scimgateway@localhost',
        log
      })
    }
    if (eoe !== undefined) onError = { enabled: eoe.enabled, to: list(eoe.to), cc: list(eoe.cc), subject: eoe.subject ?? 'SCIM Gateway error', sendInterval: eoe.sendInterval, path: 'scimgateway.email.emailOnError' }
  } else if (e?.smtp !== undefined) {
    const sm = e.smtp
    if (sm.host === undefined || sm.host === '') problems.push({ path: 'scimgateway.email.smtp.host', message: 'SMTP needs the server\'s host' })
    else {
      mailer = createMailer({
        smtp: {
          host: sm.host, port: sm.port,
          ...(sm.authenticate && sm.username !== undefined ? { username: sm.username, password: sm.password ?? '' } : {}),
          ...((sm.proxy ?? e.proxy) !== undefined ? { proxy: sm.proxy ?? e.proxy ?? '' } : {})
        },
        from: e.from ?? sm.username ?? 'scimgateway@localhost',
        log
      })
    }
    onError = { enabled: e.enabled, to: list(e.to), cc: list(e.cc), subject: e.subject ?? 'SCIM Gateway error', sendInterval: e.sendInterval, path: 'scimgateway.email' }
  } else if (legacy !== undefined && (legacy.enabled || (legacy.host !== undefined && legacy.host !== ''))) {
    if (legacy.host === undefined || legacy.host === '') problems.push({ path: 'scimgateway.emailOnError.smtp.host', message: 'SMTP needs the server\'s host' })
    else {
      mailer = createMailer({
        smtp: {
          host: legacy.host, port: legacy.port,
          ...(legacy.authenticate && legacy.username !== undefined ? { username: legacy.username, password: legacy.password ?? '' } : {}),
          ...(legacy.proxy !== undefined ? { proxy: legacy.proxy } : {})
        },
        from: legacy.username ?? 'scimgateway@localhost',
        log
      })
    }
    onError = { enabled: legacy.enabled, to: list(legacy.to), cc: list(legacy.cc), subject: 'SCIM Gateway error', sendInterval: legacy.sendInterval, path: 'scimgateway.emailOnError.smtp' }
  }

  let notifier: ErrorNotifier | undefined
  if (onError?.enabled === true) {
    if (onError.to.length === 0) problems.push({ path: `${onError.path}.to`, message: 'error mail is enabled but has no recipients' })
    else if (mailer !== undefined) {
      notifier = createErrorNotifier({ mailer, to: onError.to, ...(onError.cc.length > 0 ? { cc: onError.cc } : {}), subject: onError.subject, sendInterval: onError.sendInterval, enabled: true, ...(opts.customMasking !== undefined ? { customMasking: opts.customMasking } : {}) })
    }
  }
  if (problems.length > 0) { mailer?.close(); return { mailer: undefined, notifier: undefined, problems } }
  return { mailer, notifier, problems }
}
