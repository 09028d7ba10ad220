#!/usr/bin/env bash
# Load benchmark of the accept path: 10 KB example messages validated against the example
# schema (XSD engine, envelope in the same pass), SQLite store acknowledging after
# fsync (WAL, synchronous=FULL, group commit), delivery to a real HTTP receiver, all on this
# machine. Reports (1) maximum accepted/s with wrk (closed loop) and (2) latency percentiles at
# a fixed rate with the open-loop generator in examples/load_generator.rs.
#
#   bash benches/load/run.sh [RATE] [SECONDS]      (defaults: 2000 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE="${1:-2000}"
SECONDS_PER_RUN="${2:-20}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

cargo build --release --bin xoev-gateway --example load_receiver --example load_generator
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# A 10 KB message: the example Bauantrag with an attachment, the UUID as a placeholder.
python3 - "$work/template.xml" <<'PY'
import base64, sys
source = open("fixtures/valid/bauantrag-mit-anlagen.xml", encoding="utf-8").read()
source = source.replace("5d1e7a90-8b2c-4f3e-a1d4-0c9b8a7f6e5d", "@UUID@")
padding = base64.b64encode(bytes(range(256)) * 32).decode()
# The attachment stays valid base64 (a multiple of 4 characters): the message must validate.
length = (10240 - len(source.encode()) + 48) // 4 * 4
body = source.replace("QmF1YmVzY2hyZWlidW5nOiBEYWNoZ2VzY2hvc3NhdXNiYXUu", padding[:length])
open(sys.argv[1], "w", encoding="utf-8").write(body)
print(f"template: {len(body.encode())} bytes")
PY

target/release/examples/load_receiver 127.0.0.1:9901 > "$work/receiver.log" &
cat > "$work/gateway.toml" <<TOML
[[listener]]
address = "127.0.0.1:9900"
[limits]
max_concurrent_requests = 4096
queue_capacity = 10000000
[store]
kind = "sqlite"
path = "$work/gateway.sqlite"
max_batch_size = 512
[telemetry]
log_filter = "warn"
[[schema_set]]
name = "example"
entry_files = ["$PWD/schemas/example/xoev-gateway-example.xsd"]
[[sender]]
name = "load"
bearer_token_sha256 = "f4ff83e79c8eedae556b635dd3f7b95ce4290fe59c859938d30e4372930f830f"
allowed_messages = ["*"]
[[route]]
name = "load"
root_name = "bauantrag.*"
schema_set = "example"
destinations = ["receiver"]
[[destination]]
kind = "http"
name = "receiver"
url = "http://127.0.0.1:9901/inbox"
concurrency = 32
TOML
target/release/xoev-gateway serve --config "$work/gateway.toml" > "$work/gateway.out" 2> "$work/gateway.err" &
for _ in $(seq 100); do grep -q "listening on" "$work/gateway.out" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$work/gateway.out" || { cat "$work/gateway.err"; exit 1; }

echo "== max throughput: wrk -t2 -c64 -d${SECONDS_PER_RUN}s (closed loop)"
TEMPLATE="$work/template.xml" TOKEN=example-sender-token \
  wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" --latency -s benches/load/post.lua \
  http://127.0.0.1:9900/v1/submissions

echo "== fixed rate: ${RATE}/s for ${SECONDS_PER_RUN}s (open loop)"
target/release/examples/load_generator http://127.0.0.1:9900/v1/submissions \
  example-sender-token "$work/template.xml" "$RATE" "$SECONDS_PER_RUN"

echo "== receiver (requests bytes): $(curl -s http://127.0.0.1:9901/count)"
curl -s http://127.0.0.1:9900/metrics | grep -E '^xoev_gateway_store_commit_batch_size_(sum|count)'
