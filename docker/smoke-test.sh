#!/bin/sh
# Builds docker/Dockerfile with podman and checks the image the way a user meets it. For machines
# without a Docker engine or image registry (this project's): the base is docker/local-base.sh's
# stand-in for node:20-bookworm-slim unless BASE_IMAGE names another. Needs root and podman (runc).
#   npm run docker:smoke
set -eu
cd "$(dirname "$0")/.."
base="${BASE_IMAGE:-localhost/node20-bookworm-local}"
image="scimgateway-ts:smoke"
conf="$(mktemp)"
# no extra rlimits (a sandbox may forbid raising them) and cgroupfs (no systemd here)
printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n' > "$conf"
export CONTAINERS_CONF="$conf"
pm() { if command -v runc >/dev/null 2>&1; then podman --runtime runc "$@"; else podman "$@"; fi; }
# podman schedules HEALTHCHECKs with systemd timers (none here): checked with `healthcheck run` instead
run() { pm run --health-interval=disable "$@"; }
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
ok() { echo "smoke: ok: $*"; }
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
ctr="scim-smoke-$$"
vol="scim-smoke-config-$$"
cleanup() { pm rm -f "$ctr" >/dev/null 2>&1 || true; pm volume rm -f "$vol" >/dev/null 2>&1 || true; rm -f "$conf"; rm -rf "${ro:-}"; }
trap cleanup EXIT

pm image exists "$base" || docker/local-base.sh "$base"
pm build --format docker --network=host --build-arg "NODE_IMAGE=$base" -f docker/Dockerfile --target runtime -t "$image" . >/tmp/scim-smoke-build.log 2>&1 || { tail -20 /tmp/scim-smoke-build.log; fail "image build (log: /tmp/scim-smoke-build.log)"; }
ok "image built"

[ "$(run --rm --entrypoint id "$image" -u)" = 1000 ] || fail "not running as uid 1000"
ok "runs as uid 1000 (node)"
owners=$(run --rm --entrypoint sh "$image" -c 'stat -c "%U" /app/config /app/logs /app/data /app/dist | tr "\n" " "')
[ "$owners" = "node node node root " ] || fail "ownership: $owners"
ok "config/logs/data writable by node, code owned by root"
run --rm --entrypoint sh "$image" -c 'test ! -e /app/lib && test ! -e /app/node_modules/typescript && test ! -e /app/node_modules/bun && test -f /app/dist/index.js' || fail "dev files or sources in the image"
ok "no sources, dev dependencies or Bun in the image"
run --rm --entrypoint nats-server "$image" --version >/dev/null || fail "nats-server missing"
ok "nats-server in the image"

pm volume create "$vol" >/dev/null
run -d --name "$ctr" --network=host -e SEED=smoke-seed -e PORT="$port" -v "$vol:/app/config" "$image" >/dev/null
i=0
until curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 100 ] || { pm logs "$ctr" >&2; fail "gateway did not come up"; }; sleep 0.2
done
ok "gateway /healthz"
users=$(curl -fsS -u gwadmin:password "http://127.0.0.1:$port/Users?filter=userName%20eq%20%22bjensen%22")
echo "$users" | grep -q '"totalResults":1' || fail "/Users: $users"
ok "gateway /Users from the seeded config volume"
pm healthcheck run "$ctr" >/dev/null || fail "HEALTHCHECK"
ok "HEALTHCHECK passes"
pm exec "$ctr" sh -c '! grep -q "\"password\": *\"password\"" /app/config/plugin-loki.json' || fail "secret not encrypted in the volume"
ok "secrets encrypted in place in the config volume"
pm stop -t 10 "$ctr" >/dev/null
ok "stops on SIGTERM"

run --rm --entrypoint node "$image" bin/scim-stream.mjs --help 2>&1 | grep -q "scim-stream init" || fail "scim-stream CLI"
ok "scim-stream CLI runs"

ro=$(mktemp -d); chmod 0755 "$ro"
out=$(run --rm -e SEED=x -v "$ro:/app/config" "$image" 2>&1 || true)
echo "$out" | grep -q "is not writable by uid 1000" || fail "unwritable config not reported: $out"
ok "an unwritable config directory is refused with a clear message"
echo "smoke: all checks passed"
