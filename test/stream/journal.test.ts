// The subscriber's durable state files: the per-user order journal (marks, receipts of a crashed
// run, stream identity, compaction) and the local dead letters (append, read, dedupe, remove).
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JournalBusyError, OrderJournal } from '../../lib/stream/subscriber/order-journal.ts'
import { appendLocalDeadLetter, bodyBytes, encodeBody, localDeadLetterFile, readLocalDeadLetters, removeLocalDeadLetters, type LocalDeadLetter } from '../../lib/stream/local-dead-letters.ts'

const ID = { stream: 'acme', created: '2026-12-03T10:00:00Z' }

describe('OrderJournal', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'scim-order-journal-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('keeps the highest mark per user across a reopen', () => {
    const file = join(dir, 'a.order')
    const j = OrderJournal.open(file, ID)
    j.applied('u:ann', 5)
    j.applied('u:ann', 3) // older: ignored
    j.mark('u:bob', 7)
    j.flush()
    j.close(true)
    const again = OrderJournal.open(file, ID)
    assert.equal(again.lastApplied('u:ann'), 5)
    assert.equal(again.lastApplied('u:bob'), 7)
    assert.equal(again.lastApplied('u:cid'), undefined)
    assert.deepEqual(again.heldBefore(), [], 'a clean stop leaves nothing to give back')
    again.close(true)
  })

  it('gives the receipts of a run without a clean stop back, oldest first', async () => {
    const file = join(dir, 'b.order')
    const j = OrderJournal.open(file, ID)
    j.received(12, 'u:ann', '$JS.ACK.acme.c.1.12.3.0.0')
    j.received(10, 'u:bob', '$JS.ACK.acme.c.1.10.1.0.0')
    j.applied('u:bob', 10)
    j.close(false) // like a kill -9: no clean-stop mark
    const again = OrderJournal.open(file, ID)
    assert.deepEqual(again.heldBefore().map(h => h.seq), [10, 12])
    assert.equal(again.heldBefore()[1]?.reply, '$JS.ACK.acme.c.1.12.3.0.0')
    assert.ok(again.lastWriteMs > 0)
    again.close(true)
    assert.deepEqual(OrderJournal.open(file, ID).heldBefore(), [], 'given back once')
  })

  it('forgets the marks of another stream (re-created: sequences restart)', () => {
    const file = join(dir, 'c.order')
    const j = OrderJournal.open(file, ID)
    j.applied('u:ann', 99)
    j.close(true)
    const other = OrderJournal.open(file, { stream: 'acme', created: '2026-12-04T00:00:00Z' })
    assert.equal(other.lastApplied('u:ann'), undefined)
    other.close(true)
  })

  it('ignores a torn last line and compacts to one line per user, keeping what is held', async () => {
    const file = join(dir, 'd.order')
    const j = OrderJournal.open(file, ID)
    j.trackHeld(() => [{ seq: 30_001, key: 'u:held', reply: '$JS.ACK.acme.c.1.30001.1.0.0' }])
    for (let i = 1; i <= 30_000; i++) j.mark(`u:${i % 10}`, i)
    j.flush()
    j.close(false)
    const text = await readFile(file, 'utf8')
    assert.ok(text.split('\n').length < 100, `compacted (${text.split('\n').length} lines)`)
    await writeFile(file, `${text}a 12`) // torn
    const again = OrderJournal.open(file, ID)
    assert.equal(again.lastApplied('u:0'), 30_000)
    assert.deepEqual(again.heldBefore().map(h => h.seq), [30_001])
    again.close(true)
  })
})

describe('local dead letters', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'scim-local-dlq-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('appends, reads (one per message), keeps non-UTF-8 bodies exactly and removes replayed ones', () => {
    const file = localDeadLetterFile(dir, 'durable_loki_undefined')
    const letter = (seq: number, data: Uint8Array): LocalDeadLetter => ({
      time: new Date().toISOString(), consumer: 'durable_loki_undefined', stream: 'acme', streamSeq: seq, subject: 'ENTRA.x',
      msgId: `m${seq}`, reason: 'bad', headers: { 'Msg-Id': `m${seq}` }, ...encodeBody(data)
    })
    appendLocalDeadLetter(file, letter(1, Buffer.from('{"x":')))
    appendLocalDeadLetter(file, letter(2, Uint8Array.from([0xff, 0xfe, 0x00])))
    appendLocalDeadLetter(file, letter(1, Buffer.from('{"x":'))) // dead-lettered again after a lost term
    const all = readLocalDeadLetters(file)
    assert.deepEqual(all.map(d => d.streamSeq), [1, 2])
    assert.equal(all[0]?.body, '{"x":')
    assert.equal(all[1]?.bodyEncoding, 'base64')
    assert.deepEqual([...bodyBytes(all[1] as LocalDeadLetter)], [0xff, 0xfe, 0x00])
    removeLocalDeadLetters(file, new Set([1]))
    assert.deepEqual(readLocalDeadLetters(file).map(d => d.streamSeq), [2])
    assert.deepEqual(readLocalDeadLetters(join(dir, 'none.jsonl')), [])
  })
})

describe('OrderJournal lock', () => {
  it('refuses a second open of the same file while the first is open, and frees it on close', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scim-order-lock-'))
    try {
      const file = join(dir, 'x.order')
      const a = OrderJournal.open(file, ID)
      assert.throws(() => OrderJournal.open(file, ID), (e: unknown) => e instanceof JournalBusyError && /own state directory/.test(e.message))
      a.close(true)
      OrderJournal.open(file, ID).close(true)
      // a lock left by a dead process is taken over
      await writeFile(`${file}.lock`, '999999')
      OrderJournal.open(file, ID).close(true)
    } finally { await rm(dir, { recursive: true, force: true }) }
  })
})
