// Test harness: a throwaway Samba Active Directory domain controller (Debian's samba-ad-dc).
// `samba-tool domain provision` into a temp dir (~20 s), then samba runs in its own network
// namespace (`unshare -n`: AD's LDAP ports 389/636 cannot be configured, so it gets a private
// loopback), with socat inside bridging LDAP/LDAPS to unix sockets in the temp dir and a TCP proxy
// here exposing them on free loopback ports. stop() kills the whole process group and removes the dir.
// startSambaAd() resolves to a reason string when this machine cannot run it (tests then skip).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, connect, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from 'ldapts'

export interface TestSambaAd {
  readonly ldapsUrl: string
  readonly ldapUrl: string
  readonly caPem: string
  /** Name in the DC's certificate (connect to 127.0.0.1, verify against this). */
  readonly servername: string
  readonly baseDn: string
  readonly bindDn: string
  readonly password: string
  stop (): Promise<void>
}

const REALM = 'SCIMTEST.LOCAL'
const PASSWORD = 'Pw-' + Math.random().toString(36).slice(2, 10) + '!9Aa'

export function sambaAvailable (): string | undefined {
  for (const b of ['samba-tool', 'samba', 'socat', 'unshare', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${b} || test -x /usr/sbin/${b}`], { stdio: 'ignore' }).status !== 0) return `${b} is not installed (Debian: samba-ad-dc, socat)`
  }
  if (spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status !== 0) return 'cannot create a network namespace here (unshare -n needs CAP_SYS_ADMIN)'
  return undefined
}

export async function startSambaAd (): Promise<TestSambaAd | string> {
  const missing = sambaAvailable()
  if (missing !== undefined) return missing
  const dir = await mkdtemp(join(tmpdir(), 'samba-ad-'))
  const prov = spawnSync('samba-tool', ['domain', 'provision', `--realm=${REALM}`, '--domain=SCIMTEST', '--server-role=dc', '--dns-backend=NONE',
    `--adminpass=${PASSWORD}`, `--targetdir=${dir}`, '--host-name=dc1', '--option=interfaces=lo', '--option=bind interfaces only=yes'], { encoding: 'utf8', timeout: 240_000 })
  if (prov.status !== 0) {
    await rm(dir, { recursive: true, force: true })
    return `samba-tool domain provision failed: ${(prov.stderr ?? '').split('\n').slice(-3).join(' ')}`
  }
  const conf = join(dir, 'etc', 'smb.conf')
  const text = await readFile(conf, 'utf8')
  await writeFile(conf, text.replace('[global]', `[global]\n\tserver services = ldap\n\tpid directory = ${dir}\n\tlog file = ${join(dir, 'samba.log')}`))
  const script = [
    'ip link set lo up',
    `socat UNIX-LISTEN:${join(dir, 'ldaps.sock')},fork,unlink-early TCP:127.0.0.1:636 &`,
    `socat UNIX-LISTEN:${join(dir, 'ldap.sock')},fork,unlink-early TCP:127.0.0.1:389 &`,
    `exec samba -i -s ${conf}`
  ].join('\n')
  const proc: ChildProcess = spawn('unshare', ['-n', 'sh', '-c', script], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
  const servers: Server[] = []
  const proxy = async (sock: string): Promise<number> => await new Promise((resolve, reject) => {
    const s = createServer(client => {
      const up = connect(sock)
      client.pipe(up).pipe(client)
      const end = (): void => { client.destroy(); up.destroy() }
      client.on('error', end); up.on('error', end); client.on('close', end); up.on('close', end)
    })
    servers.push(s)
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const a = s.address(); resolve(typeof a === 'object' && a !== null ? a.port : 0) })
  })
  const stop = async (): Promise<void> => {
    for (const s of servers) s.close()
    if (proc.pid !== undefined && proc.exitCode === null) {
      try { process.kill(-proc.pid, 'SIGTERM') } catch {}
      await new Promise<void>(resolve => { const t = setTimeout(() => { try { if (proc.pid !== undefined) process.kill(-proc.pid, 'SIGKILL') } catch {} resolve() }, 5000); proc.once('exit', () => { clearTimeout(t); resolve() }) })
    }
    // samba's helpers may still be writing into dir while they die: retry, and never fail the test on cleanup
    await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }).catch(() => {})
  }
  const ldapsPort = await proxy(join(dir, 'ldaps.sock'))
  const ldapPort = await proxy(join(dir, 'ldap.sock'))
  const baseDn = 'DC=scimtest,DC=local'
  const bindDn = `CN=Administrator,CN=Users,${baseDn}`
  const servername = 'DC1.scimtest.local'
  const deadline = Date.now() + 90_000
  let caPem = ''
  let last = ''
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) { await stop(); return `samba exited during start: ${stderr.slice(-500)}` }
    try {
      caPem = await readFile(join(dir, 'private', 'tls', 'ca.pem'), 'utf8')
      const c = new Client({ url: `ldaps://127.0.0.1:${ldapsPort}`, connectTimeout: 2000, timeout: 5000, tlsOptions: { ca: caPem, servername } })
      await c.bind(bindDn, PASSWORD)
      await c.unbind()
      return { ldapsUrl: `ldaps://127.0.0.1:${ldapsPort}`, ldapUrl: `ldap://127.0.0.1:${ldapPort}`, caPem, servername, baseDn, bindDn, password: PASSWORD, stop }
    } catch (err) { last = err instanceof Error ? err.message : String(err) }
    await new Promise(resolve => setTimeout(resolve, 500))
  }
  await stop()
  return `samba did not answer LDAPS within 90 s (${last})`
}
