// Dead letters of a tenant: the JetStream DLQ convention lives in the stream contract
// (lib/stream/contract/dead-letters.ts), shared with the gateway subscriber and its tooling; this
// module re-exports it for the service's own code and CLI.
export { DLQ_HEADERS } from '../../stream/contract/headers.ts'
export { deadLetterHeaders, listDeadLetters, replayDeadLetter } from '../../stream/contract/dead-letters.ts'
export type { DeadLetter, DeadLetterInfo } from '../../stream/contract/dead-letters.ts'
