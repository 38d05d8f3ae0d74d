#!/bin/sh
# Builds a local stand-in for node:20-bookworm-slim on a host that cannot pull images (this project's
# CI machines reach Debian's packages and the npm registry, not an image registry): a debootstrapped
# Debian bookworm plus this host's Node.js 20 and npm, with the `node` user (uid 1000) the official
# image has, trusting the certificate authorities this host trusts (a TLS-intercepting egress proxy
# has its own CA). Needs root, debootstrap and podman.
#   docker/local-base.sh [image-name]      (default localhost/node20-bookworm-local)
set -eu
name="${1:-localhost/node20-bookworm-local}"
node_bin="$(command -v node)"
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
"$node_bin" -e 'if (!process.version.startsWith("v20.")) { console.error("need Node.js 20 on the host, found " + process.version); process.exit(1) }'
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root/fs" http://deb.debian.org/debian >/dev/null
install -m 0755 "$node_bin" "$root/fs/usr/local/bin/node"
mkdir -p "$root/fs/usr/local/lib/node_modules"
cp -r "$npm_dir" "$root/fs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/fs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/fs/usr/local/bin/npx"
chroot "$root/fs" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
mkdir -p "$root/fs/usr/local/share/ca-certificates" "$root/fs/etc/ssl/certs"
cp /usr/local/share/ca-certificates/*.crt "$root/fs/usr/local/share/ca-certificates/" 2>/dev/null || true
cp /etc/ssl/certs/ca-certificates.crt "$root/fs/etc/ssl/certs/ca-certificates.crt"
rm -rf "$root/fs/var/lib/apt/lists/"* "$root/fs/var/cache/apt/archives/"*.deb
tar -C "$root/fs" -cf "$root/base.tar" .
podman import --change 'CMD ["node"]' --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' "$root/base.tar" "$name" >/dev/null
echo "local-base: $name"
