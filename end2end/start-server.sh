#!/usr/bin/env bash
# Starts the release server for the browser tests on a fresh database.
#   start-server.sh demo 3100    demo business loaded
#   start-server.sh empty 3101   a fresh install (no owner yet)
#   start-server.sh twilio 3103  a fresh install talking to a Twilio stand-in
#                                (Prism on TWILIO_API_BASE_URL, default :4010)
#   start-server.sh twilio-demo 3104
#                                the demo business on a Twilio account (signed
#                                webhooks, attachments fetched from the media
#                                stand-in on :4011)
set -euo pipefail
cd "$(dirname "$0")/.."
kind=$1
port=$2
mkdir -p target/e2e
rm -f "target/e2e/$kind.db" "target/e2e/$kind.db-wal" "target/e2e/$kind.db-shm"
export DATABASE_URL="sqlite://target/e2e/$kind.db"
export LEPTOS_SITE_ADDR="127.0.0.1:$port"
export PUBLIC_BASE_URL="http://127.0.0.1:$port"
export LEPTOS_SITE_ROOT=target/site
export MEDIA_DIR="target/e2e/media-$kind"
export APP_SECRET_KEY="e2e-secret-key-not-for-production-0123456789"
export RUST_LOG="${RUST_LOG:-warn}"
if [ "$kind" = twilio ]; then
    export TWILIO_API_BASE_URL="${TWILIO_API_BASE_URL:-http://127.0.0.1:4010}"
fi
if [ "$kind" = twilio-demo ]; then
    export PROVIDER=twilio TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef TWILIO_AUTH_TOKEN=e2e-auth-token-5c1d
    export TWILIO_API_BASE_URL=http://127.0.0.1:4011
fi
if [ "$kind" = demo ] || [ "$kind" = twilio-demo ]; then
    exec "${SERVER_BIN:-./target/release/server}" serve --seed-demo-if-empty
else
    exec "${SERVER_BIN:-./target/release/server}" serve
fi
