// Wires error notification to logging the way scimgateway's `emailOnError` works: every line
// logged at error level is also handed to the ErrorNotifier (with the child meta), which
// throttles and masks. Give the mailer itself the plain logger, so a failing mail is not fed back.

import type { LogMeta, Logger } from '../logging/types.ts'
import type { ErrorNotifier } from './notifier.ts'

/**
 * A Logger that logs through `log` and also notifies `notifier` of every error line.
 *
 * @example
 * const log = withErrorNotifier(baseLog, createErrorNotifier({ mailer, to, subject, sendInterval: 15, enabled: true }))
 * log.child({ baseEntity: 'clientA' }).error('createUser failed') // logged, and mailed (throttled)
 */
export function withErrorNotifier (log: Logger, notifier: ErrorNotifier): Logger {
  return wrap(log, notifier, {})
}

function wrap (log: Logger, notifier: ErrorNotifier, bound: LogMeta): Logger {
  return {
    error (message, meta) {
      log.error(message, meta)
      notifier.notify(message, meta === undefined ? bound : { ...bound, ...meta })
    },
    warn: (message, meta) => { log.warn(message, meta) },
    info: (message, meta) => { log.info(message, meta) },
    debug: (message, meta) => { log.debug(message, meta) },
    child: (meta) => wrap(log.child(meta), notifier, { ...bound, ...meta })
  }
}
