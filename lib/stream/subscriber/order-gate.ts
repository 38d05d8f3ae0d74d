// Keeps per-user order when several gateways share one durable consumer (NATS 2.9: no partitioned
// or pinned consumers, and a subscriber's permissions allow no side channel between gateways).
//
// The server hands deliveries out in stream order with consecutive delivery sequences (dseq). A
// gateway that received every dseq below a message knows every earlier message still in play, so
// its per-user queue orders them correctly. A gap (a dseq delivered to another gateway, or still
// pending from before this gateway started) may hide an earlier message of the same user: such a
// message is *parked* until the consumer's state proves the gap settled — the ack floor reached
// the message's stream sequence - 1, or every ack-pending message is one this gateway holds.
// A single gateway never sees gaps and never waits; two gateways split the load in alternating
// batches, each applied concurrently across users (see docs/stream.md).
//
// Parked messages are released in *stream* order, not arrival order: after a restart the messages a
// crashed run held are redelivered after later ones already arrived; released in arrival order, a
// user's older message would be queued behind its newer one.

/** The consumer state the gate needs (from consumer info). */
export interface ConsumerFloor {
  /** Every stream sequence ≤ this is acknowledged (or terminated). */
  ackFloorStreamSeq: number
  /** Messages delivered and not yet acknowledged, consumer-wide. */
  numAckPending: number
}

interface Parked {
  dseq: number
  sseq: number
  release: () => void
}

/**
 * @example
 * const gate = new OrderGate(ci.delivered.consumer_seq, ci.num_ack_pending > 0)
 * gate.receive(m.info.deliverySequence, m.seq, () => queue.push(user, m))
 * if (gate.parked > 0) gate.settle(await floorOf(consumer), heldCount)
 */
export class OrderGate {
  /** Every dseq ≤ mark is known (received here, or settled). */
  #mark: number
  readonly #seen = new Set<number>()
  readonly #parked: Parked[] = []
  /** Deliveries pending from before we started (another gateway's or our previous life's). */
  #barrier: boolean

  /**
   * @param deliveredAtStart consumer's delivered consumer_seq when this gateway started
   * @param pendingAtStart whether messages were ack-pending then
   */
  constructor (deliveredAtStart: number, pendingAtStart: boolean) {
    this.#mark = deliveredAtStart
    this.#barrier = pendingAtStart
  }

  /** Messages waiting for the consumer state to settle. */
  get parked (): number { return this.#parked.length }

  /** Registers a delivery; `release` runs now or once the gap before it settled. */
  receive (dseq: number, sseq: number, release: () => void): void {
    if (dseq > this.#mark) this.#seen.add(dseq)
    this.#advance()
    if (!this.#barrier && this.#parked.length === 0 && dseq <= this.#mark) { release(); return }
    // keep #parked sorted by stream sequence (arrivals are mostly in order: search from the end)
    let i = this.#parked.length
    while (i > 0 && (this.#parked[i - 1] as Parked).sseq > sseq) i--
    this.#parked.splice(i, 0, { dseq, sseq, release })
  }

  /**
   * Releases what the consumer state proves safe. `held` = messages this gateway has received and
   * not yet acked, nacked or terminated.
   */
  settle (floor: ConsumerFloor, held: number): void {
    if (floor.numAckPending <= held) {
      // every outstanding message is ours: no gap can hide anything
      this.#barrier = false
      for (const d of this.#seen) if (d > this.#mark) this.#mark = d
      this.#seen.clear()
      for (const p of this.#parked) if (p.dseq > this.#mark) this.#mark = p.dseq
      this.#releaseWhile(() => true)
      return
    }
    this.#releaseWhile((p) => {
      if (p.sseq - 1 <= floor.ackFloorStreamSeq) {
        this.#barrier = false
        if (p.dseq > this.#mark) this.#mark = p.dseq
        this.#advance()
        return true
      }
      return !this.#barrier && p.dseq <= this.#mark
    })
  }

  #releaseWhile (ok: (p: Parked) => boolean): void {
    while (this.#parked.length > 0) {
      const p = this.#parked[0] as Parked
      if (!ok(p)) return
      this.#parked.shift()
      p.release()
    }
  }

  #advance (): void {
    while (this.#seen.has(this.#mark + 1)) {
      this.#mark++
      this.#seen.delete(this.#mark)
    }
    if (this.#seen.size > 0) for (const d of this.#seen) if (d <= this.#mark) this.#seen.delete(d)
  }
}
