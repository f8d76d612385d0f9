#!/usr/bin/env bash
# Fuzzes the integration API with schemathesis (PyPI) against its own
# OpenAPI document on a seeded server: any server error or response that
# doesn't match the document fails the run.
#   fuzz-api.sh [port]   (SERVER_BIN picks the binary; release by default)
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-3102}
shift || true
bin=${SERVER_BIN:-./target/release/server}
mkdir -p target/e2e
db=target/e2e/fuzz.db
rm -f "$db" "$db-wal" "$db-shm"
export DATABASE_URL="sqlite://$db"
export LEPTOS_SITE_ADDR="127.0.0.1:$port"
export PUBLIC_BASE_URL="http://127.0.0.1:$port"
export LEPTOS_SITE_ROOT=target/site
export MEDIA_DIR=target/e2e/media-fuzz
export APP_SECRET_KEY="fuzz-secret-key-not-for-production-0123456789"
export RUST_LOG="${RUST_LOG:-error}"

"$bin" seed --demo >/dev/null
org=$("$bin" org list | head -n1 | cut -f1)
key=$("$bin" api-key create --org "$org" --name "schemathesis" --rate-limit 100000 | tail -n1)
"$bin" serve > target/e2e/fuzz-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done

# Server errors and schema violations are what must never happen; the
# remaining checks would also judge business refusals (a 409 for an
# overlapping booking) against generated data, so they are left out.
st=$(command -v schemathesis || echo "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/schemathesis")
"$st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --header "Authorization: Bearer $key" \
    --checks not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance \
    --max-examples "${FUZZ_EXAMPLES:-40}" \
    --workers 1 \
    --seed 20261124 \
    --suppress-health-check all \
    --report junit --report-dir target/e2e/fuzz-report \
    "$@" 2>&1 | tee target/e2e/fuzz.log
