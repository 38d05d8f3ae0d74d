// Public API of lib/mail: an SMTP mailer and the throttled error notifier built on it.

export { createMailer, type Mailer, type MailerOptions, type MailMessage, type SmtpOptions } from './mailer.ts'
export { createErrorNotifier, type ErrorNotifier, type ErrorNotifierOptions } from './notifier.ts'
export { withErrorNotifier } from './notifying-logger.ts'
