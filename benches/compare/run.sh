#!/usr/bin/env bash
# Side-by-side, whole process, same run: xoev-gateway validate vs xmllint --stream vs lxml on
# the benchmark corpus (XBau 2.6 generated documents of ~50 KB and ~5 MB, and a ~5 MB document
# dominated by DIN 91379 names). Needs ../shared beside the checkout.
#
#   bash benches/compare/run.sh            (results as a Markdown table on stdout)
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED="${SHARED:-../shared/xoev}"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
command -v xmllint >/dev/null || { apt-get update -qq && apt-get install -y -qq libxml2-utils >/dev/null; }
python3 -c "import lxml" 2>/dev/null || pip install -q lxml

cargo build --release --bin xoev-gateway
bin=target/release/xoev-gateway
corpus="${CORPUS:-target/bench-corpus}"
mkdir -p "$corpus"

python3 benches/compare/make_din_corpus.py "$SHARED" "$corpus" 5000000 >&2
XBAU="$SHARED/xbau-2.6/artifacts/xbau/2.6/xsd/xsd_dev/xbau-nachrichten-baugenehmigung.xsd"
cargo build --release -p xsd-validator --example make_corpus
target/release/examples/make_corpus "$XBAU" "$corpus" >&2

# The compiled-schema cache of our runs; the verdict check below writes its entry, so the
# timed "xoev-gateway" runs read the set from it ("--no-cache": compiled in every run).
cache="$corpus/schema-cache"

run() { # name schema file
  local name=$1 schema=$2 file=$3 bytes
  bytes=$(stat -c %s "$file")
  # Each command must give the verdict "valid" first: timing a failing run would be meaningless.
  "$bin" validate --cache-dir "$cache" --schema "$schema" "$file" >/dev/null
  xmllint --noout --nonet --stream --schema "$schema" "$file" 2>/dev/null
  python3 benches/compare/lxml_validate.py "$schema" "$file"
  hyperfine --warmup 2 --min-runs 10 --export-json "$corpus/$name.json" \
    -n xoev-gateway "$bin validate --cache-dir '$cache' --schema '$schema' '$file'" \
    -n "xoev-gateway --no-cache" "$bin validate --no-cache --schema '$schema' '$file'" \
    -n "xmllint --stream" "xmllint --noout --nonet --stream --schema '$schema' '$file'" \
    -n lxml "python3 benches/compare/lxml_validate.py '$schema' '$file'" >&2
  python3 - "$corpus/$name.json" "$name" "$bytes" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
name, size = sys.argv[2], int(sys.argv[3])
ours = next(r for r in results if r["command"] == "xoev-gateway")["mean"]
for r in results:
    mbps = size / r["mean"] / 1e6
    print(f"| {name} | {size:,} | {r['command']} | {r['mean']*1000:.1f} ± {r['stddev']*1000:.1f} ms | {mbps:.1f} MB/s | {r['mean']/ours:.2f}x |")
PY
}

echo "| corpus | bytes | tool | mean wall time | throughput | time / ours |"
echo "|---|---|---|---|---|---|"
run xbau-50k "$XBAU" "$corpus/xbau-50k.xml"
run xbau-5m "$XBAU" "$corpus/xbau-5m.xml"
run din-5m "$corpus/din.xsd" "$corpus/din-names.xml"
