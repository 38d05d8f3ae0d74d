// GET /logger and /<baseEntity>/logger: live log lines (already masked) as Server-Sent Events —
// each line is one event of `data:` lines ended by a blank line, which is what scimgateway's
// documented curl/fetch client recipes parse. Read-only credentials may read the log (a dedicated
// read-only log credential is the documented setup). `?view=html` serves a small live page that
// reads the same stream with EventSource (the browser reuses the Basic credentials it was asked for).
// A comment line every 15 s keeps proxies and idle timeouts from closing a quiet stream.
import type { LogPush } from '../../logging/push.ts'
import { ScimError } from '../../scim/errors.ts'
import type { RequestContext } from '../context.ts'
import { loggerPage } from './logger-page.ts'

const HEARTBEAT_MS = 15_000

/** Formats one SSE event; every line of a (multi-line) message gets its own `data:` field. */
export function sseEvent (text: string): string {
  return text.split(/\r\n|\r|\n/).map(l => `data: ${l}`).join('\n') + '\n\n'
}

export function handleLoggerStream (push: LogPush | undefined, method: string, req: Request, rc: RequestContext): Response {
  if (method !== 'GET') throw new ScimError(405, undefined, `${method} is not allowed on /logger`)
  if (push === undefined) throw new ScimError(501, undefined, 'log streaming is not enabled')
  const url = new URL(req.url)
  if (url.searchParams.get('view') === 'html') {
    return new Response(loggerPage(rc.baseEntity), {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'" }
    })
  }
  const encoder = new TextEncoder()
  let unsubscribe: (() => void) | undefined
  let heartbeat: ReturnType<typeof setInterval> | undefined
  const stop = (): void => {
    unsubscribe?.()
    unsubscribe = undefined
    if (heartbeat !== undefined) clearInterval(heartbeat)
    heartbeat = undefined
  }
  const stream = new ReadableStream<Uint8Array>({
    start (controller) {
      const send = (text: string): void => {
        try { controller.enqueue(encoder.encode(text)) } catch { stop() }
      }
      send(`retry: 10000\n: log stream (baseEntity: ${rc.baseEntity ?? 'all'})\n\n`)
      unsubscribe = push.subscribe((entry) => {
        if (rc.baseEntity !== undefined && entry.meta.baseEntity !== rc.baseEntity) return
        send(sseEvent(entry.line))
      })
      heartbeat = setInterval(() => { send(': keep-alive\n\n') }, HEARTBEAT_MS)
      heartbeat.unref?.()
      req.signal.addEventListener('abort', () => { stop(); try { controller.close() } catch {} })
    },
    cancel () { stop() }
  })
  return new Response(stream, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no'
    }
  })
}
