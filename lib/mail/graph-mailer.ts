// Sending mail through Microsoft Graph `sendMail` (Exchange Online) with OAuth client credentials —
// scimgateway's `email.auth.type: "oauth"`. The app needs the Mail.Send application permission
// (restrict it to the sending mailbox with an Exchange ApplicationAccessPolicy). The access token is
// cached until a minute before it expires; concurrent sends share one token request.
import type { Logger } from '../logging/types.ts'
import type { Mailer, MailMessage } from './mailer.ts'

/** Options for {@link createGraphMailer}. */
export interface GraphMailerOptions {
  tenantId: string
  clientId: string
  clientSecret: string
  /** The sending mailbox (UPN, address or user id); the mail's From. */
  from: string
  log: Logger
  /** Default https://login.microsoftonline.com (other clouds, tests). */
  authorityUrl?: string
  /** Default https://graph.microsoft.com. */
  graphUrl?: string
  /** Per request, ms (default 30 000). */
  timeoutMs?: number
}

/**
 * A Mailer that sends through Graph.
 * @example
 * const mailer = createGraphMailer({ tenantId, clientId, clientSecret, from: 'noreply@contoso.com', log })
 * await mailer.send({ to: ['ops@contoso.com'], subject: 'SCIM Gateway error', text: '…' })
 */
export function createGraphMailer (opts: GraphMailerOptions): Mailer {
  const authority = (opts.authorityUrl ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')
  const graph = (opts.graphUrl ?? 'https://graph.microsoft.com').replace(/\/+$/, '')
  const timeoutMs = opts.timeoutMs ?? 30_000
  let token: { value: string, until: number } | undefined
  let pending: Promise<string> | undefined

  const fetchToken = async (): Promise<string> => {
    const res = await fetch(`${authority}/${encodeURIComponent(opts.tenantId)}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: opts.clientId, client_secret: opts.clientSecret, scope: `${graph}/.default` }).toString(),
      signal: AbortSignal.timeout(timeoutMs)
    })
    const body = await res.json().catch(() => ({})) as { access_token?: unknown, expires_in?: unknown, error?: unknown, error_description?: unknown }
    if (!res.ok || typeof body.access_token !== 'string') {
      throw new Error(`mail: token request failed (${res.status}): ${typeof body.error_description === 'string' ? body.error_description : typeof body.error === 'string' ? body.error : 'no access_token'}`)
    }
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3599)
    token = { value: body.access_token, until: Date.now() + Math.max(0, lifetime - 60) * 1000 }
    return body.access_token
  }
  const accessToken = async (): Promise<string> => {
    if (token !== undefined && Date.now() < token.until) return token.value
    pending ??= fetchToken().finally(() => { pending = undefined })
    return await pending
  }

  return {
    async send (msg: MailMessage) {
      if (msg.to.length === 0) throw new Error('mail: no recipients')
      try {
        const message = graphMessage(msg)
        let res = await post(await accessToken(), message)
        if (res.status === 401) { token = undefined; res = await post(await accessToken(), message) }
        if (res.status !== 202 && !res.ok) {
          const err = await res.json().catch(() => ({})) as { error?: { code?: string, message?: string } }
          throw new Error(`mail: Graph sendMail answered ${res.status} ${err.error?.code ?? ''}: ${err.error?.message ?? res.statusText}`)
        }
        opts.log.debug('mail sent through Graph', { to: msg.to, subject: msg.subject })
      } catch (err) {
        opts.log.error(`sending mail failed: ${err instanceof Error ? err.message : String(err)}`, { to: msg.to, subject: msg.subject })
        throw err
      }
    },
    close () { token = undefined }
  }

  async function post (bearer: string, message: Record<string, unknown>): Promise<Response> {
    return await fetch(`${graph}/v1.0/users/${encodeURIComponent(opts.from)}/sendMail`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message, saveToSentItems: false }),
      signal: AbortSignal.timeout(timeoutMs)
    })
  }
}

/** A MailMessage as Graph's `message` resource. */
export function graphMessage (msg: MailMessage): Record<string, unknown> {
  const rcpt = (list: string[]): Array<{ emailAddress: { address: string } }> => list.map(address => ({ emailAddress: { address } }))
  return {
    subject: msg.subject,
    body: msg.html !== undefined ? { contentType: 'HTML', content: msg.html } : { contentType: 'Text', content: msg.text },
    toRecipients: rcpt(msg.to),
    ...(msg.cc !== undefined && msg.cc.length > 0 ? { ccRecipients: rcpt(msg.cc) } : {})
  }
}
