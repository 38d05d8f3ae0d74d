#!/bin/sh
# Container entry: seeds an empty config volume with the sample gateway config, refuses a config
# directory the process cannot write (secrets are encrypted in place, lock files are created), and
# warns when SEED is missing (the key of encrypted secrets would then come from this container and
# change when it is re-created). Then runs the command (the gateway by default).
set -e
cfg="${SCIM_CONFIG_DIR:-/app/config}"
if [ -d /app/defaults/config ] && [ -z "$(ls -A "$cfg" 2>/dev/null)" ]; then
  cp -r /app/defaults/config/. "$cfg"/ 2>/dev/null || true
  echo "entrypoint: $cfg was empty: sample configuration copied" >&2
fi
if [ ! -w "$cfg" ]; then
  echo "entrypoint: $cfg is not writable by uid $(id -u); give it to that user (e.g. chown -R $(id -u):$(id -g) on the host directory) or use a named volume" >&2
  exit 1
fi
if [ -z "${SEED:-}" ]; then
  echo "entrypoint: warning: SEED is not set; secrets in $cfg are encrypted with a key derived from this container and cannot be read after it is re-created. Set SEED (the same value that encrypted an existing config)." >&2
fi
exec "$@"
