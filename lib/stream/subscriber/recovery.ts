// Faster recovery than the consumer's ack_wait (docs/stream.md "Recovery after a restart"): a
// delivery the server thinks is still in flight is redelivered only after ack_wait (30 s) unless
// someone NAKs it. Two cases where this gateway knows such deliveries:
// - its previous run died (kill -9): the order journal's receipts of that run are NAKed at start;
// - nats-server restarted under it: acks of the last moments (and those flushed while the server's
//   JetStream was still recovering) may be lost; they are NAKed once the consumer answers again.
// A NAK of an acknowledged message is ignored by the server; a redelivered applied message is
// skipped by its user's mark (order-journal.ts), so giving back too much costs nothing.
import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Logger } from '../../logging/types.ts'
import type { OrderJournal } from './order-journal.ts'

/** Options of {@link Recovery}. */
export interface RecoveryOptions {
  stream: string
  consumer: string
  ackWaitMs: number
  log: Logger
  signal: AbortSignal
  /** Called with the number of messages given back (status counter). */
  onGivenBack: (n: number) => void
}

/** Acks kept at most for the reconnect case (memory bound at any rate). */
const MAX_RECENT = 50_000

/**
 * @example
 * const r = new Recovery({ stream, consumer, ackWaitMs, log, signal, onGivenBack })
 * r.afterCrash(nc, journal, ci.ack_floor.stream_seq); void r.watch(nc); … m.ack(); r.acked(reply)
 */
export class Recovery {
  readonly #o: RecoveryOptions
  #recent: Array<{ reply: string, at: number }> = []

  constructor (o: RecoveryOptions) { this.#o = o }

  /** Notes an ack just sent (its reply subject). */
  acked (reply: string): void {
    if (reply === '') return
    const now = Date.now()
    this.#recent.push({ reply, at: now })
    const r = this.#recent
    // only the last ack_wait matters (see #reconnected); bounded however fast messages go
    if (r.length > MAX_RECENT || (r[0] as { at: number }).at < now - this.#o.ackWaitMs) {
      const cut = r.findIndex(x => x.at >= now - this.#o.ackWaitMs)
      r.splice(0, cut < 0 ? r.length : Math.max(cut, r.length - MAX_RECENT))
    }
  }

  /**
   * At start, after a run that ended without a clean stop: NAKs its receipts above the ack floor,
   * so the server redelivers now. Only while those deliveries can still be this gateway's: once
   * ack_wait passed since the dead run's last write, the server may have handed them to another
   * gateway, which a NAK would disturb.
   */
  afterCrash (c: NatsConnection, j: OrderJournal, ackFloor: number): void {
    const before = j.heldBefore().filter(b => b.seq > ackFloor)
    if (before.length === 0) return
    const ago = Date.now() - j.lastWriteMs
    if (ago >= this.#o.ackWaitMs) {
      this.#o.log.info(`previous run ended without a clean stop ${Math.round(ago / 1000)} s ago; its ${before.length} message(s) are redelivered by the server`)
      return
    }
    for (const b of before) c.publish(b.reply, '-NAK')
    this.#o.onGivenBack(before.length)
    this.#o.log.warn(`previous run ended without a clean stop: NAKed the ${before.length} message(s) it had received, for redelivery now instead of after ack_wait (acknowledged ones are ignored by the server)`)
  }

  /** Watches the connection; after each reconnect gives back the acks of the last moments. */
  async watch (c: NatsConnection): Promise<void> {
    let downAt = Date.now()
    for await (const ev of c.status()) {
      if (this.#o.signal.aborted) return
      if (ev.type === 'disconnect') downAt = Date.now()
      else if (ev.type === 'reconnect') {
        const at = downAt
        void this.#consumerBack(c).then(() => { this.#reconnected(c, at) })
      }
    }
  }

  /**
   * NAKs the acks sent from ack_wait/2 before the disconnect on (also those sent while
   * disconnected: the client flushes them on reconnect, possibly before the server's JetStream has
   * recovered). A delivery is kept alive (+WPI) every ack_wait/3 until its ack, so the server cannot
   * have handed those to another gateway yet.
   */
  #reconnected (c: NatsConnection, downAt: number): void {
    const from = downAt - this.#o.ackWaitMs / 2
    let n = 0
    for (const r of this.#recent) if (r.at >= from) { c.publish(r.reply, '-NAK'); n++ }
    this.#recent = []
    if (n === 0) return
    this.#o.onGivenBack(n)
    this.#o.log.info(`reconnected: NAKed the ${n} message(s) acknowledged around the disconnect, in case the server lost those acks`)
  }

  /** Resolves once the consumer answers again (a restarted server accepts clients before JetStream has recovered). */
  async #consumerBack (c: NatsConnection): Promise<void> {
    const jsm = await jetstreamManager(c)
    for (let i = 0; i < 120 && !this.#o.signal.aborted; i++) {
      try {
        await jsm.consumers.info(this.#o.stream, this.#o.consumer)
        return
      } catch {
        await new Promise(resolve => setTimeout(resolve, 250))
      }
    }
  }
}
