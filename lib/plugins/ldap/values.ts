// Value encodings specific to directories: LDAP filter escaping (RFC 4515), GUIDs in Active
// Directory's byte order (objectGUID, mS-DS-ConsistencyGuid), unicodePwd's quoted UTF-16LE, and the
// userAccountControl flag behind SCIM `active`.

/** Escapes a string for an LDAP filter assertion value: `*`, `(`, `)`, `\` and NUL become `\XX`. */
export function escapeFilterValue (value: string): string {
  return value.replace(/[*()\\\u0000]/g, ch => '\\' + ch.charCodeAt(0).toString(16).padStart(2, '0'))
}

/** Every byte escaped as `\XX`: how binary attribute values (GUIDs) go into filters. */
export function escapeFilterBytes (bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += '\\' + b.toString(16).padStart(2, '0')
  return out
}

const GUID_RE = /^\{?([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}?$/

/** True for a GUID/UUID string `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (braces allowed). */
export function isGuidString (s: string): boolean {
  return GUID_RE.test(s)
}

/**
 * The 16 bytes of a GUID string as Active Directory stores them: the first three fields
 * little-endian, the last two as written (MS-DTYP §2.3.4.2).
 * @example guidToBytes('b3975b67-3a5d-4921-8b4e-511e1a8ccb9e') // <67 5b 97 b3 5d 3a 21 49 8b 4e 51 1e 1a 8c cb 9e>
 */
export function guidToBytes (guid: string): Buffer | undefined {
  const m = GUID_RE.exec(guid)
  if (m === null) return undefined
  const [, a = '', b = '', c = '', d = '', e = ''] = m
  const le = (hex: string): string => (hex.match(/../g) ?? []).reverse().join('')
  return Buffer.from(le(a) + le(b) + le(c) + d + e, 'hex')
}

/** The GUID string (lower case) of 16 bytes in Active Directory's byte order. */
export function bytesToGuid (bytes: Uint8Array): string | undefined {
  if (bytes.length !== 16) return undefined
  const h = Buffer.from(bytes).toString('hex')
  const le = (hex: string): string => (hex.match(/../g) ?? []).reverse().join('')
  return `${le(h.slice(0, 8))}-${le(h.slice(8, 12))}-${le(h.slice(12, 16))}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/** unicodePwd's value: the password in double quotes, UTF-16LE (AD refuses anything else). */
export function encodeUnicodePwd (password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le')
}

/** ACCOUNTDISABLE (0x2) of userAccountControl. */
export const UAC_ACCOUNTDISABLE = 0x2
/** NORMAL_ACCOUNT (0x200): what a new user account gets. */
export const UAC_NORMAL_ACCOUNT = 0x200

/** Sets or clears only ACCOUNTDISABLE, keeping every other flag (e.g. DONT_EXPIRE_PASSWORD). */
export function uacWithActive (current: number, active: boolean): number {
  return active ? (current & ~UAC_ACCOUNTDISABLE) : (current | UAC_ACCOUNTDISABLE)
}

export function uacIsActive (uac: number): boolean {
  return (uac & UAC_ACCOUNTDISABLE) === 0
}
