#!/usr/bin/env node
// Makes sure the Debian packages the tests start as real servers are present.
// Installs them when running as root with apt-get; otherwise says exactly what to install.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const needed = [
  { bin: 'nats-server', pkg: 'nats-server' },
  { bin: 'slapd', pkg: 'slapd' },
  { bin: 'ldapsearch', pkg: 'ldap-utils' },
  { bin: 'samba', pkg: 'samba-ad-dc' },
  // the domain provisioning templates (a Recommends of samba-ad-dc, skipped by --no-install-recommends)
  { path: '/usr/share/samba/setup', pkg: 'samba-ad-provision' },
  { bin: 'socat', pkg: 'socat' },
  { bin: 'chromium', pkg: 'chromium' },
]
const which = (b) => spawnSync('sh', ['-c', `command -v ${b} || test -x /usr/sbin/${b}`], { stdio: 'ignore' }).status === 0
const missing = needed.filter(n => n.path !== undefined ? !existsSync(n.path) : !which(n.bin))
if (missing.length === 0) process.exit(0)
const pkgs = [...new Set(missing.map(m => m.pkg))]
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
if (isRoot && which('apt-get')) {
  console.log(`pretest: installing ${pkgs.join(' ')} with apt-get`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  spawnSync('apt-get', ['update'], { stdio: 'inherit', env })
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env })
  if (r.status !== 0) { console.error(`pretest: apt-get install ${pkgs.join(' ')} failed`); process.exit(1) }
  process.exit(0)
}
console.error(`pretest: the tests need these Debian packages: ${pkgs.join(' ')}\n  install them with: sudo apt-get install -y ${pkgs.join(' ')}`)
process.exit(1)
