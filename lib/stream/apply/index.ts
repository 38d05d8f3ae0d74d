// Public API of the subscriber's message-application engine (the transport calls these).
export { applyStreamMessage, type ApplyDeps, type ApplyResult, type SubscriberEntityOptions } from './apply.ts'
export { classifyError, type ErrorClass } from './classify.ts'
export { compileDomainReplacer, type DomainReplacement, type DomainReplacer } from './domains.ts'
export { generatePassword } from './password.ts'
export { createKeyedSerializer, type Serializer } from './serialize.ts'
export { parseStreamMessage, PermanentMessageError, isPermanentMessageError, type StreamMessage, type StreamOperation, type StreamHeaders, type ActivityOperation } from '../message.ts'
