#!/bin/sh
# The docker-compose demo's documented steps (docs/docker.md), run with podman on the host network
# because no compose engine runs on this project's machines: HR emulator → scim-stream init → edit the
# config → scim-stream with its builtin NATS → scim-stream credentials → gateway config from the printed
# fragment → gateway subscribed under entity "undefined" → the HR persons appear at GET /Users.
# Needs the images of docker/smoke-test.sh (runtime) and the `dev` target:
#   podman build -f docker/Dockerfile --target dev -t scimgateway-ts:dev .
set -eu
cd "$(dirname "$0")/.."
conf="$(mktemp)"
printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n' > "$conf"
export CONTAINERS_CONF="$conf"
pm() { if command -v runc >/dev/null 2>&1; then podman --runtime runc "$@"; else podman "$@"; fi; }
run() { pm run --health-interval=disable --network=host "$@"; }
free() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
fail() { echo "flow: FAIL: $*" >&2; exit 1; }
image=scimgateway-ts:local
SEED="flow-$(date +%s)"; export SEED
hr=$(free); natsp=$(free); gw=$(free)
id=$$
gwdir=$(mktemp -d); chown 1000:1000 "$gwdir"
cleanup() {
  pm rm -f "flow-hr-$id" "flow-stream-$id" "flow-gw-$id" >/dev/null 2>&1 || true
  pm volume rm -f "flow-stream-config-$id" "flow-stream-data-$id" >/dev/null 2>&1 || true
  rm -rf "$gwdir" "$conf"
}
trap cleanup EXIT
stream() { run --rm -e SEED -v "flow-stream-config-$id:/app/config" --entrypoint node "$image" bin/scim-stream.mjs "$@"; }

run -d --name "flow-hr-$id" -e PORT="$hr" -e HOST=127.0.0.1 -e PERSONS=5 scimgateway-ts:dev npx tsx scripts/hr-emulator.ts >/dev/null
pm volume create "flow-stream-config-$id" >/dev/null; pm volume create "flow-stream-data-$id" >/dev/null
stream init --tenant mycompany --collector hr --config /app/config/scim-stream.yaml >/dev/null || fail "scim-stream init"
echo "flow: ok: scim-stream init wrote the config, NATS credentials and CA into the stream volume"
# step 3 of docs/docker.md: point the tenant at the HR source and the server at its public name
run --rm -v "flow-stream-config-$id:/app/config" --entrypoint sh "$image" -c "
  sed -i -e 's|https://hr.example.com/odata/v2|http://127.0.0.1:$hr/odata/v2|' \
         -e 's|# basic: { username: user, password: secret }|basic: { username: demo, password: demo }|' \
         -e 's|collect_interval: 300|collect_interval: 5|' \
         -e 's|    port: 9012|    port: $natsp\n    hosts: [ localhost ]|' /app/config/scim-stream.yaml"
run -d --name "flow-stream-$id" -e SEED -v "flow-stream-config-$id:/app/config" -v "flow-stream-data-$id:/app/data" --entrypoint tini "$image" -- scim-entrypoint node bin/scim-stream.mjs --config /app/config/scim-stream.yaml >/dev/null
i=0; until pm logs "flow-stream-$id" 2>&1 | grep -q "SCIM Stream started"; do i=$((i+1)); [ $i -lt 150 ] || { pm logs "flow-stream-$id" >&2; fail "scim-stream did not start"; }; sleep 0.2; done
echo "flow: ok: scim-stream runs its builtin NATS on $natsp"
stream credentials --tenant mycompany --type hr --config /app/config/scim-stream.yaml > "$gwdir/fragment.json" || fail "credentials"
echo "flow: ok: scim-stream credentials printed the gateway's stream fragment"
node -e "
  const f = JSON.parse(require('fs').readFileSync(process.argv[1] + '/fragment.json', 'utf8'))
  f.scimgateway.stream.certificate.ca = f.scimgateway.stream.certificate.ca.replace('/app/config/', '/app/stream/')
  const cfg = { scimgateway: { port: Number(process.argv[2]), log: { loglevel: { console: 'info', file: 'off' } }, auth: { basic: [{ username: 'gwadmin', password: 'password' }] }, stream: f.scimgateway.stream }, endpoint: { persistence: false, demoData: false } }
  require('fs').writeFileSync(process.argv[1] + '/plugin-loki.json', JSON.stringify(cfg, null, 2))
" "$gwdir" "$gw"
rm "$gwdir/fragment.json"; chown 1000:1000 "$gwdir/plugin-loki.json"
run -d --name "flow-gw-$id" -e SEED -v "$gwdir:/app/config" -v "flow-stream-config-$id:/app/stream:ro" "$image" >/dev/null
want=$(pm logs "flow-stream-$id" 2>&1 | grep -m1 '"published":' | sed 's/.*"published":\([0-9]*\).*/\1/')
[ "${want:-0}" -gt 0 ] || fail "scim-stream published nothing"
echo "flow: ok: scim-stream published $want users (the emulator's persons that are active today)"
i=0
until [ "$(curl -fsS -u gwadmin:password "http://127.0.0.1:$gw/Users" 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).totalResults)}catch{console.log(0)}})')" -ge "$want" ] 2>/dev/null; do
  i=$((i+1)); [ $i -lt 300 ] || { pm logs "flow-gw-$id" 2>&1 | tail -20 >&2; pm logs "flow-stream-$id" 2>&1 | tail -20 >&2; fail "the HR persons did not reach the gateway"; }; sleep 0.3
done
echo "flow: ok: the gateway subscribed with the printed credentials; GET /Users (no baseEntity) lists the $want users"
curl -fsS -u gwadmin:password "http://127.0.0.1:$gw/stream/status" | grep -q '"state":"running"' || fail "/stream/status"
echo "flow: all steps passed"
