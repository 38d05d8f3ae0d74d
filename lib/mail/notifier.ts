// Error notification by mail with throttling (scimgateway's `emailOnError`, SCIM Stream's
// `email.on_error`): the first error is mailed at once; errors within the following sendInterval
// are collected and mailed together when the interval ends. Never throws into the caller.

import type { LogMeta } from '../logging/types.ts'
import { createMasker, type Masker } from '../logging/mask.ts'
import type { Mailer } from './mailer.ts'

/** Options for {@link createErrorNotifier}. */
export interface ErrorNotifierOptions {
  mailer: Mailer
  to: string[]
  cc?: string[]
  subject: string
  /** Minutes between mails (fractions allowed, e.g. 0.01 in tests). */
  sendInterval: number
  enabled: boolean
  /** Clock in milliseconds (default Date.now); injectable for tests. */
  now?: () => number
  /** Extra keys to mask (as `log.customMasking`). */
  customMasking?: string[]
  /** At most this many messages are listed in one mail; the rest are counted (default 100). */
  maxListed?: number
}

/** Collects errors and mails them, at most once per interval. */
export interface ErrorNotifier {
  /** Records an error; mails at once when the interval allows, else batches. Never throws. */
  notify (message: string, meta?: LogMeta): void
  /** Sends what is pending now and waits for every mail in flight. Notifications after close are ignored. */
  close (): Promise<void>
}

/**
 * Creates an error notifier.
 *
 * @example
 * const notifier = createErrorNotifier({ mailer, to: ['ops@example.com'], subject: 'SCIM Gateway error',
 *   sendInterval: 15, enabled: true })
 * notifier.notify('createUser failed: endpoint returned 500', { baseEntity: 'clientA' })
 * await notifier.close() // on shutdown
 */
export function createErrorNotifier (opts: ErrorNotifierOptions): ErrorNotifier {
  const now = opts.now ?? Date.now
  const intervalMs = Math.max(0, opts.sendInterval) * 60_000
  const maxListed = Math.max(1, opts.maxListed ?? 100)
  const masker = createMasker(opts.customMasking)
  const enabled = opts.enabled && opts.to.length > 0

  let pending: string[] = []
  let unlisted = 0
  let lastSentAt: number | undefined
  let timer: NodeJS.Timeout | undefined
  let inflight: Promise<void> = Promise.resolve()
  let closed = false

  const flush = (): void => {
    timer = undefined
    if (pending.length === 0) return
    const listed = pending
    const extra = unlisted
    pending = []
    unlisted = 0
    lastSentAt = now()
    const mail = { to: opts.to, ...(opts.cc !== undefined ? { cc: opts.cc } : {}), subject: opts.subject, text: composeText(listed, extra) }
    // Serialised so mails arrive in order; a failure is logged by the mailer and stops here.
    inflight = inflight.then(() => opts.mailer.send(mail)).catch(() => {})
  }

  return {
    notify (message, meta) {
      if (!enabled || closed) return
      try {
        if (pending.length < maxListed) pending.push(formatError(now(), message, meta, masker))
        else unlisted++
        if (timer !== undefined) return
        const wait = lastSentAt === undefined ? 0 : lastSentAt + intervalMs - now()
        if (wait <= 0) flush()
        else {
          timer = setTimeout(flush, wait)
          timer.unref()
        }
      } catch {
        // Notification is best effort; the caller is usually already handling an error.
      }
    },
    async close () {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      flush()
      await inflight
    }
  }
}

function formatError (time: number, message: string, meta: LogMeta | undefined, masker: Masker): string {
  let line = `${new Date(time).toISOString()} ${masker.maskText(message)}`
  if (meta !== undefined && Object.keys(meta).length > 0) {
    try { line += `\n  ${JSON.stringify(masker.maskSecrets(meta))}` } catch { /* unserialisable meta is left out */ }
  }
  return line
}

function composeText (listed: string[], unlisted: number): string {
  const total = listed.length + unlisted
  const head = `${total} error${total === 1 ? '' : 's'} since the last notification:\n\n`
  const tail = unlisted > 0 ? `\n\n… and ${unlisted} more not listed.` : ''
  return head + listed.join('\n\n') + tail + '\n'
}
