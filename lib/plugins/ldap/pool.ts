// A small pool of bound ldapts clients for one baseEntity. LDAP multiplexes operations on one
// connection, so a few connections carry many concurrent requests; each call takes the connection
// with the fewest operations in flight. All connections talk to one server (the first of
// `baseUrls` that answers) so a read right after a write sees it; when that server fails, the
// next call fails over to the next URL. A dead connection is dropped and reopened on next use
// (the server restarted); while no server answers, calls fail fast with 503 — never hang: every
// operation has a timeout and follows the request's abort signal.
import { Client } from 'ldapts'
import type { ConnectionOptions } from 'node:tls'
import { GatewayTimeoutError, ServiceUnavailableError } from '../sdk/errors.ts'
import { isConnectionError, toScimError } from './errors.ts'
import type { LdapEntityOptions } from './options.ts'

interface Slot { client: Client, url: string, inFlight: number, binding?: Promise<void> }

export class LdapPool {
  private readonly slots: Array<Slot | undefined>
  private urlIndex = 0
  private closed = false
  private lastError: string | undefined

  constructor (private readonly opts: LdapEntityOptions) {
    this.slots = new Array<Slot | undefined>(opts.poolSize).fill(undefined)
  }

  get url (): string { return this.opts.baseUrls[this.urlIndex] ?? '' }
  get secure (): boolean { return this.url.toLowerCase().startsWith('ldaps:') }

  /**
   * Runs `fn` on a bound connection. Connection failures before the operation was sent fail over
   * once through every URL; failures are mapped to ScimErrors (503/504/…) naming `what`.
   */
  async run<T> (what: string, fn: (c: Client) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.closed) throw new ServiceUnavailableError(`LDAP ${what}: the plugin is stopped`)
    if (signal?.aborted === true) throw new GatewayTimeoutError(`LDAP ${what}: request aborted`)
    let lastErr: unknown
    for (let attempt = 0; attempt < this.opts.baseUrls.length; attempt++) {
      const slot = this.pick()
      try {
        await this.bound(slot)
      } catch (err) {
        lastErr = err
        this.lastError = err instanceof Error ? err.message : String(err)
        this.drop(slot)
        if (isConnectionError(err) && this.opts.baseUrls.length > 1) { this.failover(slot.url); continue }
        throw toScimError(err, what)
      }
      slot.inFlight++
      try {
        const r = await abortable(fn(slot.client), signal, what)
        this.lastError = undefined
        return r
      } catch (err) {
        if (isConnectionError(err)) { this.lastError = err instanceof Error ? err.message : String(err); this.drop(slot) }
        throw toScimError(err, what)
      } finally { slot.inFlight-- }
    }
    throw toScimError(lastErr, what)
  }

  async close (): Promise<void> {
    this.closed = true
    await Promise.all(this.slots.map(async (s, i) => {
      this.slots[i] = undefined
      if (s !== undefined) await s.client.unbind().catch(() => {})
    }))
  }

  private pick (): Slot {
    let best = -1
    let bestLoad = Infinity
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]
      const load = s === undefined ? 0.5 : s.inFlight // an idle open connection beats opening one
      if (load < bestLoad) { best = i; bestLoad = load }
    }
    const i = Math.max(0, best)
    const existing = this.slots[i]
    if (existing !== undefined && existing.url === this.url) return existing
    if (existing !== undefined) void existing.client.unbind().catch(() => {})
    const slot: Slot = { client: this.newClient(this.url), url: this.url, inFlight: 0 }
    this.slots[i] = slot
    return slot
  }

  private newClient (url: string): Client {
    const tlsOptions: ConnectionOptions = { rejectUnauthorized: this.opts.tls.rejectUnauthorized }
    if (this.opts.caPem !== undefined) tlsOptions.ca = this.opts.caPem
    if (this.opts.tls.servername !== undefined) tlsOptions.servername = this.opts.tls.servername
    // ldapts speaks TLS whenever tlsOptions has a value, even for ldap:// — pass them only for ldaps://
    const secure = url.toLowerCase().startsWith('ldaps:')
    return new Client({ url, timeout: this.opts.timeout, connectTimeout: this.opts.connectTimeout, ...(secure ? { tlsOptions } : {}), autoRebind: true, strictDN: false })
  }

  private async bound (slot: Slot): Promise<void> {
    if (slot.client.isConnected && slot.client.isBound) return
    slot.binding ??= slot.client.bind(this.opts.username, this.opts.password).finally(() => { delete slot.binding })
    await slot.binding
  }

  private drop (slot: Slot): void {
    const i = this.slots.indexOf(slot)
    if (i >= 0) this.slots[i] = undefined
    void slot.client.unbind().catch(() => {})
  }

  private failover (failedUrl: string): void {
    if (this.url !== failedUrl) return
    this.urlIndex = (this.urlIndex + 1) % this.opts.baseUrls.length
  }

  get lastFailure (): string | undefined { return this.lastError }
}

/** One 'abort' listener per signal, however many operations a request runs (no listener leak warnings). */
const waiters = new WeakMap<AbortSignal, Set<() => void>>()
function onAbort (signal: AbortSignal, cb: () => void): () => void {
  let set = waiters.get(signal)
  if (set === undefined) {
    const s = new Set<() => void>()
    set = s
    waiters.set(signal, s)
    signal.addEventListener('abort', () => { for (const f of s) f() }, { once: true })
  }
  const mine = set
  mine.add(cb)
  return () => { mine.delete(cb) }
}

async function abortable<T> (p: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return await p
  let off: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    off = onAbort(signal, () => { reject(new GatewayTimeoutError(`LDAP ${what}: request aborted (timeout or client gone)`)) })
  })
  try {
    return await Promise.race([p, aborted])
  } finally {
    off?.()
    p.catch(() => {}) // the operation may still fail after the abort: nobody waits for it
    aborted.catch(() => {})
  }
}
