#!/usr/bin/env bash
# Health benchmark (docs/PERFORMANCE.md): on one healthy stack of its own with a backup taken,
# the median wall time of 20 runs of `msting health` (goal: 1 s or less), and beside it, in the
# same run, the median of `msting health --from-status` (what a monitoring agent reads) and the
# ratio between them. The stack is purged at the end.
# Usage: tests/bench/health.sh MSTING   (as root, after tests/env/setup.sh; images built)
set -euo pipefail
msting=${1:?usage: tests/bench/health.sh PATH/TO/msting}
eval "$(tests/env/setup.sh --print-env)"
dir=$(mktemp -d /tmp/sting-bench.XXXXXX)
project="sting-bench-hl-$$"
trap '"$msting" --install-dir "$dir" --yes uninstall --purge >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
mkdir -p "$dir/conf"
age-keygen -o "$dir/holder.key" 2>/dev/null
recipient=$(grep -o 'age1[a-z0-9]*' "$dir/holder.key")
cat >"$dir/conf/config.yml" <<YAML
version: 1
system:
  project_name: $project
  bind_address: 127.0.0.1
services:
  stingd:
    https_port: 28643
    http_port: 28280
  vault:
    port: 28400
images:
  prefix: sting-ce-test
  base: $STING_BASE_IMAGE
vault:
  key_shares: 1
  key_threshold: 1
  share_recipients: ["$recipient"]
backup:
  recipients: ["$recipient"]
health:
  disk_free_warning_percent: 2
  disk_free_critical_percent: 1
YAML
"$msting" --install-dir "$dir" images build >/dev/null
"$msting" --install-dir "$dir" --yes install >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
"$msting" --install-dir "$dir" --quiet backup --encrypt >/dev/null
sleep 30 # Docker's own health checks settle
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
run20() {
  for _ in $(seq 20); do
    t0=$(date +%s.%N); "$msting" --install-dir "$dir" "$@" >/dev/null || [ $? -le 3 ]; t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
  done | median
}
"$msting" --install-dir "$dir" health
live=$(run20 health)
cached=$(run20 health --from-status)
printf 'msting health (median of 20): %.3f s\n' "$live"
printf 'msting health --from-status (median of 20): %.3f s\n' "$cached"
awk -v a="$live" -v b="$cached" 'BEGIN { printf "ratio live / from-status: %.1f\n", a / b }'
