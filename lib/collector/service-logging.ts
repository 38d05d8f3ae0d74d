// The SCIM Stream service's logging as its config says (`log`, `email`): the console/file logger
// with rotation (or the logger a host injects), retention of rotated files, and error mail
// (`email.on_error`) around the logger. Everything it opens is closed by one call at stop.
import { createLogger, type ClosableLogger } from '../logging/index.ts'
import type { Logger } from '../logging/types.ts'
import { createMailer, createErrorNotifier, withErrorNotifier, type ErrorNotifier, type Mailer } from '../mail/index.ts'
import { configPath, type StreamConfig } from './config.ts'
import { startLogRetention, type LogRetention } from './log-retention.ts'
import { mailerSettings, recipientsOf } from './email-settings.ts'

/** The service's logger and what to close with it. */
export interface ServiceLogging {
  readonly log: Logger
  /** Stops retention, flushes and closes the error mail, closes the own logger. */
  close (): Promise<void>
}

/**
 * Sets up logging: the injected logger as it is, else one made from `log` (file relative to the
 * config directory); wrapped by the error notifier when `email.on_error` is enabled with an smtp.
 */
export function startServiceLogging (config: StreamConfig, configDir: string, injected: Logger | undefined): ServiceLogging {
  let own: OwnLogger | undefined
  let base: Logger
  if (injected !== undefined) base = injected
  else {
    own = ownLogger(config.log, configDir)
    base = own.logger
  }
  const mail = errorMail(config.email, base)
  return {
    log: mail === undefined ? base : withErrorNotifier(base, mail.notifier),
    async close () {
      await own?.retention?.stop()
      await mail?.notifier.close()
      mail?.mailer.close()
      await own?.logger.close()
    }
  }
}

interface OwnLogger { logger: ClosableLogger, retention: LogRetention | undefined }

function ownLogger (l: StreamConfig['log'], configDir: string): OwnLogger {
  const file = l.file === undefined ? undefined : configPath(configDir, l.file)
  const logger = createLogger({
    name: 'scim-stream',
    console: l.console ? l.level : 'off',
    // max_backups counts rotated files (as in the SCIM Stream product); the logger counts the current one too.
    ...(file !== undefined ? { file: { level: l.level, path: file, maxSize: l.max_size * 1024 * 1024, maxFiles: l.max_backups + 1 } } : {}),
    json: l.json
  })
  const retention = file !== undefined && l.level !== 'off' ? startLogRetention({ path: file, maxAgeDays: l.max_age, maxBackups: l.max_backups, log: logger }) : undefined
  return { logger, retention }
}

function errorMail (email: StreamConfig['email'], log: Logger): { mailer: Mailer, notifier: ErrorNotifier } | undefined {
  const onError = email.on_error
  if (email.smtp === undefined || !onError.enabled) return undefined
  const settings = mailerSettings(email)
  if (settings === undefined) return undefined
  const mailer = createMailer({ ...settings, log })
  const notifier = createErrorNotifier({ mailer, to: recipientsOf(onError.to), subject: onError.subject, sendInterval: onError.send_interval, enabled: true })
  return { mailer, notifier }
}
