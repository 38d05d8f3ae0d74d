// GET /logger and /<baseEntity>/logger: live log lines (already masked) as Server-Sent Events —
// each line is one event of `data:` lines ended by a blank line, which is what scimgateway's
// documented curl/fetch client recipes parse. Read-only credentials may read the log (a dedicated
// read-only log credential is the documented setup). `?view=html` serves a small live page that
// reads the same stream with EventSource (the browser reuses the Basic credentials it was asked for).
// A comment line every 15 s keeps proxies and idle timeouts from closing a quiet stream.
// The stream is Hono's `streamSSE` (hono/streaming: framing of multi-line data, stream lifecycle,
// client abort); only the response headers are ours: `no-store` instead of its `no-cache` (log
// lines must not be kept by a cache), a charset, nosniff and `x-accel-buffering: no` (nginx would
// otherwise buffer the stream).
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { LogPush } from '../../logging/push.ts'
import { ScimError } from '../../scim/errors.ts'
import type { RequestContext } from '../context.ts'
import { loggerPage } from './logger-page.ts'

const HEARTBEAT_MS = 15_000

export function handleLoggerStream (c: Context, push: LogPush | undefined, method: string, rc: RequestContext): Response {
  if (method !== 'GET') throw new ScimError(405, undefined, `${method} is not allowed on /logger`)
  if (push === undefined) throw new ScimError(501, undefined, 'log streaming is not enabled')
  if (c.req.query('view') === 'html') {
    return new Response(loggerPage(rc.baseEntity), {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'" }
    })
  }
  const signal = c.req.raw.signal
  const res = streamSSE(c, async (stream) => {
    void stream.write(`retry: 10000\n: log stream (baseEntity: ${rc.baseEntity ?? 'all'})\n\n`)
    const unsubscribe = push.subscribe((entry) => {
      if (rc.baseEntity !== undefined && entry.meta.baseEntity !== rc.baseEntity) return
      // returned: the push waits for a slow client, queueing (bounded, then dropping) on its side
      return stream.writeSSE({ data: entry.line })
    })
    const heartbeat = setInterval(() => { void stream.write(': keep-alive\n\n') }, HEARTBEAT_MS)
    heartbeat.unref?.()
    // open until the client goes away (the response body is cancelled, or the request aborted)
    await new Promise<void>((resolve) => {
      stream.onAbort(resolve)
      signal.addEventListener('abort', () => { resolve() }, { once: true })
    })
    unsubscribe()
    clearInterval(heartbeat)
  })
  res.headers.set('content-type', 'text/event-stream; charset=utf-8')
  res.headers.set('cache-control', 'no-store')
  res.headers.set('x-content-type-options', 'nosniff')
  res.headers.set('x-accel-buffering', 'no')
  return res
}
