// Test support only (imports the dev dependency smtp-server): a real SMTP server on a free
// loopback port that requires AUTH and records every message, plus a minimal MIME reader so
// tests can assert headers and the plain-text body. Never imported by production code.

import { DeadlineError, withDeadline } from '../util/async.ts'
import { SMTPServer } from 'smtp-server'
import type { AddressInfo } from 'node:net'

/** A message as the server received it. */
export interface ReceivedMail {
  /** SMTP envelope. */
  from: string
  rcptTo: string[]
  /** Authenticated user. */
  user: string | undefined
  /** Header names lower-cased, folded lines joined. */
  headers: Record<string, string>
  /** Decoded text/plain body. */
  text: string
  /** Decoded text/html body, when present. */
  html: string | undefined
  raw: string
}

/** A running test SMTP server. */
export interface TestSmtpServer {
  port: number
  messages: ReceivedMail[]
  /** Resolves when at least `count` messages have arrived; rejects after `timeoutMs`. */
  waitFor (count: number, timeoutMs?: number): Promise<void>
  close (): Promise<void>
}

/**
 * Starts an SMTP server on 127.0.0.1 port 0. AUTH (PLAIN/LOGIN) is required with the given
 * credentials. `starttls: false` (default) hides STARTTLS; `true` offers it with smtp-server's
 * built-in self-signed certificate.
 */
export async function startTestSmtpServer (opts: { username: string, password: string, starttls?: boolean }): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = []
  const waiters = new Set<() => void>()
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    disabledCommands: opts.starttls === true ? [] : ['STARTTLS'],
    logger: false,
    onAuth (auth, _session, cb) {
      if (auth.username === opts.username && auth.password === opts.password) cb(null, { user: auth.username })
      else cb(new Error('Invalid username or password'))
    },
    onData (stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => { chunks.push(c) })
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address
        const user = typeof session.user === 'string' ? session.user : undefined
        messages.push({ from, rcptTo: session.envelope.rcptTo.map(r => r.address), user, raw, ...parseMime(raw) })
        for (const w of waiters) w()
        cb()
      })
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => { resolve() })
  })
  const address = server.server.address() as AddressInfo
  return {
    port: address.port,
    messages,
    waitFor (count, timeoutMs = 5000) {
      if (messages.length >= count) return Promise.resolve()
      return withDeadline(timeoutMs, async (signal) => {
        await new Promise<void>(resolve => {
          const check = (): void => { if (messages.length >= count) { waiters.delete(check); resolve() } }
          waiters.add(check)
          signal.addEventListener('abort', () => { waiters.delete(check) }, { once: true })
        })
      }).catch((e: unknown) => {
        throw e instanceof DeadlineError ? new Error(`waited ${timeoutMs} ms for ${count} mails, got ${messages.length}`, { cause: e }) : e
      })
    },
    close: () => new Promise(resolve => { server.close(() => { resolve() }) })
  }
}

/** Minimal MIME reading: top-level headers, and the text/plain and text/html parts. */
function parseMime (raw: string): { headers: Record<string, string>, text: string, html: string | undefined } {
  const { headers, body } = splitPart(raw)
  const type = headers['content-type'] ?? 'text/plain'
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1]
  if (boundary === undefined) return { headers, text: decode(body, headers), html: undefined }
  let text = ''
  let html: string | undefined
  for (const chunk of body.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break
    const part = splitPart(chunk.replace(/^\r?\n/, ''))
    const ptype = part.headers['content-type'] ?? ''
    if (ptype.startsWith('text/plain')) text = decode(part.body, part.headers)
    else if (ptype.startsWith('text/html')) html = decode(part.body, part.headers)
  }
  return { headers, text, html }
}

function splitPart (raw: string): { headers: Record<string, string>, body: string } {
  const sep = raw.indexOf('\r\n\r\n')
  const head = sep === -1 ? raw : raw.slice(0, sep)
  const body = sep === -1 ? '' : raw.slice(sep + 4)
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':')
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
  }
  return { headers, body }
}

function decode (body: string, headers: Record<string, string>): string {
  const enc = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase()
  let out: string
  if (enc === 'base64') out = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
  else if (enc === 'quoted-printable') out = decodeQuotedPrintable(body)
  else out = body
  return out.replace(/\r\n/g, '\n').replace(/\n$/, '')
}

function decodeQuotedPrintable (body: string): string {
  const text = body.replace(/=\r?\n/g, '')
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3)
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16))
      i += 2
    } else {
      for (const b of Buffer.from(text[i] ?? '', 'utf8')) bytes.push(b)
    }
  }
  return Buffer.from(bytes).toString('utf8')
}
