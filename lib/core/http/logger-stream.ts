// GET /logger: streams the gateway's (already masked) log lines as they are written, one per line
// (text/plain, chunked), until the client disconnects. Only for authenticated, non-read-only callers.
import type { LogPush } from '../../logging/push.ts'
import { ScimError } from '../../scim/errors.ts'
import type { RequestContext } from '../context.ts'

export function handleLoggerStream (push: LogPush | undefined, method: string, req: Request, rc: RequestContext): Response {
  if (method !== 'GET') throw new ScimError(405, undefined, `${method} is not allowed on /logger`)
  if (push === undefined) throw new ScimError(501, undefined, 'log streaming is not enabled')
  if (rc.principal?.readOnly === true) throw new ScimError(403, undefined, 'log streaming needs read-write credentials')
  const encoder = new TextEncoder()
  let unsubscribe: (() => void) | undefined
  const stream = new ReadableStream<Uint8Array>({
    start (controller) {
      controller.enqueue(encoder.encode(`# streaming log lines (baseEntity: ${rc.baseEntity ?? 'all'})\n`))
      unsubscribe = push.subscribe((entry) => {
        if (rc.baseEntity !== undefined && entry.meta.baseEntity !== undefined && entry.meta.baseEntity !== rc.baseEntity) return
        try { controller.enqueue(encoder.encode(entry.line + '\n')) } catch { unsubscribe?.() }
      })
      req.signal.addEventListener('abort', () => { unsubscribe?.(); try { controller.close() } catch {} })
    },
    cancel () { unsubscribe?.() }
  })
  return new Response(stream, { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } })
}
