// Least-privilege permission templates for the per-tenant scoped signing keys.
//
// Every tenant account carries one *scoped* signing key per user type. nats-server replaces the
// permissions of a user signed by a scoped key with the key's template (and refuses a user JWT that
// carries permissions of its own), so what a user may do is decided here, by the operator, and not
// by whoever issued the user. See credentials.ts for why no unscoped signer exists.
//
// Subject namespace of a tenant account (all inside the tenant's account, so no cross-tenant access
// is possible by construction):
//   ENTRA.<channel>, HR.<channel>  captured by the stream named after the tenant
//   DLQ.<original subject>         captured by the dead-letter stream `<tenant>_DLQ`
//   GW.<channel>                   request/reply only, never captured
//
// Residual risk inside one tenant (JetStream 2.9 permissions are subject based): a subscriber that
// knows the name of a durable consumer created by another collector type could pull from it, and a
// user allowed `_INBOX.>` could subscribe to other users' inboxes. Use `inboxes: 'per-role'` on the
// tenant to separate inboxes (clients must then connect with the returned inboxPrefix), and separate
// tenants where ENTRA and HR data must be strictly isolated.
import type { UserPermissionsLimits } from '@nats-io/jwt'

// dead-letter names are part of the stream contract (shared with the gateway subscriber)
export { deadLetterStreamName, deadLetterSubject } from '../../stream/contract/naming.ts'

/** The kinds of users a tenant issues. */
export type UserType = 'publisher' | 'entra' | 'hr' | 'gw' | 'gwpublisher'

/** All user types, in a stable order. */
export const USER_TYPES: readonly UserType[] = ['publisher', 'entra', 'hr', 'gw', 'gwpublisher']

/** Role name of the scoped signing key that signs users of each type. */
export const SIGNING_KEY_ROLE: Readonly<Record<UserType, string>> = {
  publisher: 'publisher',
  entra: 'sub_entra',
  hr: 'sub_hr',
  gw: 'sub_gw',
  gwpublisher: 'pub_gw'
}

/** How reply inboxes are separated inside a tenant account. */
export type InboxMode = 'shared' | 'per-role'

/** Nanoseconds for how long a GW subscriber may answer a request it received. */
const GW_RESPONSE_TTL_NS = 5 * 60 * 1_000_000_000
/** Replies a GW subscriber may send per request (room for a chunked reply). */
const GW_RESPONSE_MAX_MSGS = 100

/** The inbox prefix a user of this type must connect with (`_INBOX` unless inboxes are per role). */
export function inboxPrefixFor (type: UserType, mode: InboxMode): string {
  return mode === 'shared' ? '_INBOX' : `_INBOX_${SIGNING_KEY_ROLE[type].toUpperCase()}`
}

/**
 * The permission/limit template of the scoped signing key for `type` in `tenant`.
 * @example permissionTemplate('acme', 'entra', 'shared').pub.allow // includes 'DLQ.ENTRA.>'
 */
export function permissionTemplate (tenant: string, type: UserType, inboxes: InboxMode, opts: { subscriberDeadLetters?: boolean } = {}): Partial<UserPermissionsLimits> {
  const inbox = `${inboxPrefixFor(type, inboxes)}.>`
  const base = {
    subs: -1, data: -1, payload: -1,
    bearer_token: false,
    allowed_connection_types: ['STANDARD' as const]
  }
  switch (type) {
    case 'publisher':
      // The SCIM Stream service: publishes ENTRA/HR, manages the tenant's streams, lists and
      // replays dead letters. JetStream API access is confined to this account by NATS itself.
      return {
        ...base,
        pub: { allow: ['ENTRA.>', 'HR.>', 'DLQ.>', '$JS.API.>', '$JS.ACK.>', '$JS.FC.>'], deny: [] },
        sub: { allow: [inbox], deny: [] }
      }
    case 'entra':
    case 'hr':
      return { ...base, ...subscriberPermissions(tenant, type === 'entra' ? 'ENTRA' : 'HR', inbox, opts.subscriberDeadLetters !== false) }
    case 'gw':
      // Queue subscriber on GW.>; may only answer requests it received (allow_responses).
      return {
        ...base,
        pub: { allow: [], deny: ['>'] },
        sub: { allow: ['GW.>', inbox], deny: [] },
        resp: { max: GW_RESPONSE_MAX_MSGS, ttl: GW_RESPONSE_TTL_NS }
      }
    case 'gwpublisher':
      return {
        ...base,
        pub: { allow: ['GW.>'], deny: [] },
        sub: { allow: [inbox], deny: [] }
      }
  }
}

/**
 * A durable pull consumer on the tenant stream filtered to its own prefix, and nothing else:
 * the filtered create API (`CONSUMER.CREATE.<stream>.<name>.<filter>`) lets the server check that
 * the filter in the body equals the one the permission allows.
 */
function subscriberPermissions (tenant: string, prefix: 'ENTRA' | 'HR', inbox: string, deadLetters: boolean): Partial<UserPermissionsLimits> {
  return {
    pub: {
      allow: [
        '$JS.API.INFO',
        `$JS.API.STREAM.INFO.${tenant}`,
        `$JS.API.CONSUMER.CREATE.${tenant}.*.${prefix}.>`,
        `$JS.API.CONSUMER.INFO.${tenant}.*`,
        `$JS.API.CONSUMER.MSG.NEXT.${tenant}.*`,
        `$JS.ACK.${tenant}.>`,
        ...(deadLetters ? [`DLQ.${prefix}.>`] : [])
      ],
      deny: []
    },
    sub: { allow: [inbox], deny: [] }
  }
}
