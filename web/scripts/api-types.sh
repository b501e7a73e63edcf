#!/bin/sh
# The web client's API types (src/api-types.ts) from the gateway's merged OpenAPI
# document: `api-types.sh` rewrites them, `api-types.sh --check` fails when they are
# not what the services' schemas give now (run by `make lint`).
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
uv run python scripts/export_openapi.py "$work/openapi.json"
npx --no-install openapi-typescript "$work/openapi.json" -o "$work/api-types.ts" >/dev/null
if [ "${1:-}" = "--check" ]; then
  if ! cmp -s "$work/api-types.ts" src/api-types.ts; then
    diff -u src/api-types.ts "$work/api-types.ts" | head -40
    echo "web/src/api-types.ts is out of date with the services' OpenAPI: run \`make web-types\`" >&2
    exit 1
  fi
  echo "web/src/api-types.ts is current"
else
  cp "$work/api-types.ts" src/api-types.ts
  echo "wrote web/src/api-types.ts"
fi
