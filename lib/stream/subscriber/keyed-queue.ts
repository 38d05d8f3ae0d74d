// A work queue that runs items of the same key one after another, in arrival order, while items of
// different keys run concurrently (up to a limit). The subscriber keys by user, which keeps per-user
// order inside one gateway without giving up throughput across users.

/** Runs one item; a rejection is the runner's business (it is reported through `onError`). */
export type KeyedRunner<T> = (item: T, key: string) => Promise<void>

/**
 * Per-key FIFO with bounded concurrency across keys.
 * @example
 * const q = new KeyedQueue<Msg>(64, async (m) => { await apply(m) })
 * q.push('bjensen', m1); q.push('bjensen', m2) // m2 starts after m1 settled
 */
export class KeyedQueue<T> {
  readonly #concurrency: number
  readonly #run: KeyedRunner<T>
  readonly #onError: (err: unknown, item: T, key: string) => void
  readonly #items = new Map<string, T[]>()
  /** Keys whose head item may start, FIFO (fair across users). */
  readonly #ready: string[] = []
  #readyHead = 0
  #running = 0
  #size = 0
  #idle: Array<() => void> = []

  constructor (concurrency: number, run: KeyedRunner<T>, onError: (err: unknown, item: T, key: string) => void = () => {}) {
    this.#concurrency = Math.max(1, concurrency)
    this.#run = run
    this.#onError = onError
  }

  /** Items queued or running. */
  get size (): number { return this.#size }

  /** Adds an item behind the other items of its key. */
  push (key: string, item: T): void {
    this.#size++
    const list = this.#items.get(key)
    if (list !== undefined) { list.push(item); return }
    this.#items.set(key, [item])
    this.#ready.push(key)
    this.#pump()
  }

  /** Resolves when nothing is queued or running. */
  async idle (): Promise<void> {
    if (this.#size === 0) return
    await new Promise<void>(resolve => { this.#idle.push(resolve) })
  }

  #pump (): void {
    while (this.#running < this.#concurrency && this.#readyHead < this.#ready.length) {
      const key = this.#ready[this.#readyHead++] as string
      if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
        this.#ready.splice(0, this.#readyHead)
        this.#readyHead = 0
      }
      const list = this.#items.get(key)
      const item = list?.[0]
      if (list === undefined || item === undefined) continue
      this.#running++
      void this.#start(key, list, item)
    }
  }

  async #start (key: string, list: T[], item: T): Promise<void> {
    try {
      await this.#run(item, key)
    } catch (err) {
      this.#onError(err, item, key)
    }
    this.#running--
    this.#size--
    list.shift()
    if (list.length === 0) this.#items.delete(key)
    else this.#ready.push(key)
    if (this.#size === 0) {
      const waiters = this.#idle
      this.#idle = []
      for (const w of waiters) w()
    }
    this.#pump()
  }
}
