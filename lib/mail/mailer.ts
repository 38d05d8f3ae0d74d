// Sending mail over SMTP with nodemailer, behind a small interface so the error notifier (and
// tests) do not depend on nodemailer. Configuration mirrors scimgateway's `email` SMTP settings.

import nodemailer from 'nodemailer'
import type { Logger } from '../logging/types.ts'

/** SMTP connection settings. */
export interface SmtpOptions {
  host: string
  port: number
  /** Implicit TLS (SMTPS, usually port 465). Default: true for port 465, else false (STARTTLS when offered). */
  secure?: boolean
  /** SMTP AUTH user; no authentication when omitted. */
  username?: string
  password?: string
  /** Proxy URL (`http://proxy:3128`) the SMTP connection is tunnelled through. */
  proxy?: string
  tls?: {
    /** Default true; set false only for test servers with self-signed certificates. */
    rejectUnauthorized?: boolean
  }
  /** Milliseconds to wait for the connection / greeting / socket inactivity (default 30 000 each). */
  timeout?: number
}

/** Options for {@link createMailer}. */
export interface MailerOptions {
  smtp: SmtpOptions
  /** Sender address, e.g. `"SCIM Gateway" <gateway@example.com>`. */
  from: string
  log: Logger
}

/** One message. */
export interface MailMessage {
  to: string[]
  cc?: string[]
  subject: string
  text: string
  html?: string
}

/** Sends mail. */
export interface Mailer {
  /** Sends `msg`; rejects (after logging the failure) when the SMTP server does not accept it. */
  send (msg: MailMessage): Promise<void>
  /** Closes pooled connections. */
  close (): void
}

/**
 * Creates a mailer over nodemailer's SMTP transport.
 *
 * @example
 * const mailer = createMailer({ smtp: { host: 'smtp.example.com', port: 587, username: 'u', password: 'p' },
 *   from: 'gateway@example.com', log })
 * await mailer.send({ to: ['ops@example.com'], subject: 'Hello', text: 'World' })
 */
export function createMailer (opts: MailerOptions): Mailer {
  const { smtp, from, log } = opts
  const timeout = smtp.timeout ?? 30_000
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure ?? smtp.port === 465,
    ...(smtp.username !== undefined && smtp.username !== '' ? { auth: { user: smtp.username, pass: smtp.password ?? '' } } : {}),
    ...(smtp.proxy !== undefined && smtp.proxy !== '' ? { proxy: smtp.proxy } : {}),
    tls: { rejectUnauthorized: smtp.tls?.rejectUnauthorized ?? true },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout
  })

  return {
    async send (msg) {
      if (msg.to.length === 0) throw new Error('mail: no recipients')
      try {
        const info: unknown = await transport.sendMail({
          from,
          to: msg.to.join(', '),
          ...(msg.cc !== undefined && msg.cc.length > 0 ? { cc: msg.cc.join(', ') } : {}),
          subject: msg.subject,
          text: msg.text,
          ...(msg.html !== undefined ? { html: msg.html } : {})
        })
        log.debug('mail sent', { to: msg.to, subject: msg.subject, messageId: messageIdOf(info) })
      } catch (err) {
        log.error(`sending mail failed: ${err instanceof Error ? err.message : String(err)}`, { to: msg.to, subject: msg.subject, smtpHost: smtp.host })
        throw err
      }
    },
    close () { transport.close() }
  }
}

function messageIdOf (info: unknown): string | undefined {
  if (info !== null && typeof info === 'object' && 'messageId' in info && typeof info.messageId === 'string') return info.messageId
  return undefined
}
