// A real SOAP server (the `soap` package) serving the example WSDL of test/plugins/fixtures/soap on a
// free port, with users in memory and WS-Security UsernameToken checked — what plugin-soap's tests
// provision against. Faults: Client.NotFound, Client.Duplicate, Client.Invalid.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { randomUUID } from 'node:crypto'
import * as soap from 'soap'

export const WSDL_FILE = fileURLToPath(new URL('./fixtures/soap/user-service.wsdl', import.meta.url))

export interface SoapUser { id: string, userName: string, displayName?: string, givenName?: string, familyName?: string, email?: string, active?: boolean }

export interface TestSoapServer {
  /** The service URL (`http://127.0.0.1:<port>/users`); `?wsdl` serves the WSDL. */
  url: string
  users: Map<string, SoapUser>
  /** Operation names received, in order. */
  calls: string[]
  stop (): Promise<void>
}

const fault = (code: string, text: string): { Fault: { faultcode: string, faultstring: string } } => ({ Fault: { faultcode: `soap:Client.${code}`, faultstring: text } })

export async function startSoapServer (creds: { username: string, password: string }): Promise<TestSoapServer> {
  const users = new Map<string, SoapUser>()
  const calls: string[] = []
  const http: Server = createServer((_req, res) => { res.statusCode = 404; res.end() })
  await new Promise<void>(resolve => { http.listen(0, '127.0.0.1', resolve) })
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/users`
  const clean = (u: Record<string, unknown>): Omit<SoapUser, 'id'> & { id?: string } => {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(u)) if (v !== undefined && v !== null && k !== 'attributes') out[k] = k === 'active' ? v === true || v === 'true' : String(v)
    return out as Omit<SoapUser, 'id'> & { id?: string }
  }
  const byName = (n: string, except?: string): boolean => [...users.values()].some(x => x.userName.toLowerCase() === n.toLowerCase() && x.id !== except)
  const port = {
    SearchUsers (input: { attribute?: string, value?: string } | null) {
      calls.push('SearchUsers')
      const args = input ?? {}
      let list = [...users.values()]
      if (args.attribute !== undefined && args.value !== undefined) {
        const a = args.attribute
        if (!['id', 'userName', 'email'].includes(a)) throw fault('Invalid', `cannot search by ${a}`)
        list = list.filter(u => a === 'id' ? u.id === args.value : String(u[a as 'userName' | 'email'] ?? '').toLowerCase() === String(args.value).toLowerCase())
      }
      return { user: list }
    },
    CreateUser (args: { user: Record<string, unknown> }) {
      calls.push('CreateUser')
      const u = clean(args.user)
      if (typeof u.userName !== 'string' || u.userName === '') throw fault('Invalid', 'userName is required')
      if (byName(u.userName)) throw fault('Duplicate', `userName ${u.userName} exists`)
      const user: SoapUser = { ...u, userName: u.userName, id: randomUUID() }
      users.set(user.id, user)
      return { user }
    },
    UpdateUser (args: { user: Record<string, unknown> }) {
      calls.push('UpdateUser')
      const u = clean(args.user)
      if (u.id === undefined || !users.has(u.id)) throw fault('NotFound', `no user ${String(u.id)}`)
      if (byName(u.userName, u.id)) throw fault('Duplicate', `userName ${u.userName} exists`)
      const user: SoapUser = { ...u, id: u.id }
      users.set(u.id, user)
      return { user }
    },
    DeleteUser (args: { id: string }) {
      calls.push('DeleteUser')
      if (!users.delete(args.id)) throw fault('NotFound', `no user ${args.id}`)
      return { deleted: true }
    }
  }
  const server = soap.listen(http, '/users', { UserService: { UserPort: port } }, readFileSync(WSDL_FILE, 'utf8'))
  // WS-Security UsernameToken (PasswordText) on every call
  server.authenticate = (security: unknown) => {
    const token = (security as { UsernameToken?: { Username?: unknown, Password?: unknown } } | undefined)?.UsernameToken
    const pw = token?.Password
    const password = typeof pw === 'object' && pw !== null ? (pw as { $value?: unknown }).$value : pw
    return token?.Username === creds.username && password === creds.password
  }
  return { url, users, calls, stop: async () => { await new Promise<void>(resolve => { http.close(() => { resolve() }) }) } }
}
