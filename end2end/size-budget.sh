#!/usr/bin/env bash
# The weight budget of the first screen: what /login makes a phone download
# before it is usable — the entry script, the initial WASM, the split
# loader the entry script imports, and the stylesheet, Brotli-compressed as
# the server sends them (the build's .br copies). Fails when the total
# passes the budget, saying by how much.
# The names come from target/release/hash.txt (cargo-leptos hash-files).
set -euo pipefail
cd "$(dirname "$0")/.."
# Measured 409,245 bytes on 2026-12-06 (main WASM 378,740); the budget
# leaves about 2% for small changes. Lower it as the first screen shrinks.
# 2026-12-08: 419,856 bytes after New conversation, Your account and the
# password-reset page (main WASM 379,619 → 386,139, split loader 16,805 →
# 19,873; `cargo leptos build --release --precompress --split
# --frontend-only` on both commits). A build without the three new routes
# still had a 385,301-byte main WASM, so most of it is code the new screens
# share with others that wasm-split keeps in the main module; raised to
# 424,000 (about 1% above) until that is found (issue 17).
BUDGET=${LOGIN_BUDGET_BYTES:-424000}
pkg=target/site/pkg
hashes=target/release/hash.txt
[ -f "$hashes" ] || { echo "size-budget: $hashes is missing; run make build first" >&2; exit 1; }
hash_of() { awk -F': *' -v k="$1" '$1 == k { print $2 }' "$hashes"; }
total=0
files=()
for kind in js wasm css; do
    files+=("$pkg/leashline.$(hash_of "$kind").$kind.br")
done
[ -z "$(hash_of split)" ] || files+=("$pkg/__wasm_split.$(hash_of split).js.br")
for f in "${files[@]}"; do
    [ -f "$f" ] || { echo "size-budget: $f is missing (built without --precompress?)" >&2; exit 1; }
    n=$(stat -c %s "$f")
    printf '  %9d bytes  %s\n' "$n" "$f"
    total=$((total + n))
done
printf '  %9d bytes in total (Brotli); budget %d\n' "$total" "$BUDGET"
if [ "$total" -gt "$BUDGET" ]; then
    echo "size-budget: /login downloads $((total - BUDGET)) bytes more than its budget of $BUDGET." >&2
    echo "Find what grew (twiggy top target/site/pkg/*.wasm) or, if it is worth it, raise the budget in this file." >&2
    exit 1
fi
