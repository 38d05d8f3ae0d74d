// `email` of the SCIM Stream config → the mailer and error-notifier settings, in the product's shapes:
// `on_error.to` as a list or a comma-separated string, SMTP `proxy` with `proxy_username` /
// `proxy_password` (sent as Proxy-Authorization when the CONNECT tunnel is opened; the password is
// encrypted in place like every secret).
import type { MailerOptions, SmtpOptions } from '../mail/index.ts'
import type { StreamConfig } from './config.ts'

type EmailConfig = StreamConfig['email']

/** Recipients of `on_error.to`: a list, or one comma/semicolon-separated string. */
export function recipientsOf (to: string | readonly string[] | undefined): string[] {
  const list = typeof to === 'string' ? to.split(/[,;]/) : [...(to ?? [])]
  return list.map(x => x.trim()).filter(x => x !== '')
}

/** The proxy URL with the proxy credentials in it (how nodemailer takes them), or the URL as given. */
export function proxyUrl (proxy: string, username?: string, password?: string): string {
  if (username === undefined || username === '') return proxy
  const u = new URL(proxy)
  u.username = encodeURIComponent(username)
  u.password = encodeURIComponent(password ?? '')
  return u.toString()
}

/** The mailer settings of `email.smtp` (undefined when absent). */
export function mailerSettings (email: EmailConfig): Omit<MailerOptions, 'log'> | undefined {
  const smtp = email.smtp
  if (smtp === undefined) return undefined
  const options: SmtpOptions = {
    host: smtp.host,
    port: smtp.port,
    ...(smtp.username !== undefined ? { username: smtp.username } : {}),
    ...(smtp.password !== undefined ? { password: smtp.password } : {}),
    ...(smtp.proxy !== undefined ? { proxy: proxyUrl(smtp.proxy, smtp.proxy_username, smtp.proxy_password) } : {}),
    ...(smtp.secure !== undefined ? { secure: smtp.secure } : {}),
    tls: { rejectUnauthorized: smtp.reject_unauthorized }
  }
  return { smtp: options, from: smtp.from ?? smtp.username ?? 'scim-stream@localhost' }
}
