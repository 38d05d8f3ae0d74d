// Small helpers the source collectors (HR REST, Entra Graph) share: Retry-After handling, an
// abortable sleep, and a readable cause of a failed fetch (undici hides the socket error in `cause`).

/** Milliseconds to wait for a Retry-After value (seconds or HTTP date); back-off when absent. */
export function retryAfterMs (header: string | null, now: Date, attempt: number, maxMs: number): number {
  let ms: number | undefined
  if (header !== null && header.trim() !== '') {
    const h = header.trim()
    if (/^\d+(\.\d+)?$/.test(h)) ms = Number(h) * 1000
    else {
      const t = Date.parse(h)
      if (!Number.isNaN(t)) ms = Math.max(0, t - now.getTime())
    }
  }
  ms ??= Math.min(30_000, 500 * 2 ** attempt)
  return Math.min(Math.max(0, Math.round(ms)), maxMs)
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export async function abortableSleep (ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw signal.reason
  if (ms <= 0) return
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(t)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** The socket-level cause of a failed fetch (`ECONNREFUSED connect …`), else the error's message. */
export function causeOf (e: Error): string {
  const c = (e as { cause?: unknown }).cause
  if (c instanceof Error) {
    const code = (c as { code?: unknown }).code
    return typeof code === 'string' ? `${code} ${c.message}` : c.message
  }
  return e.message
}
