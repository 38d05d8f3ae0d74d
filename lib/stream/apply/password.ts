// generateUserPassword: a strong random initial password for users the subscriber creates. The
// generator itself is shared with the collector (lib/text/password.ts).
export { generatePassword } from '../../text/password.ts'
