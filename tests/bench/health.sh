#!/usr/bin/env bash
# Health benchmark (docs/PERFORMANCE.md): on one healthy stack of its own with a backup taken,
# the median wall time of 20 runs of `msting health` (goal: 1 s or less), and beside it, in the
# same run, the median of `msting health --from-status` (what a monitoring agent reads) and the
# ratio between them. The stack is purged at the end.
# Usage: tests/bench/health.sh MSTING   (as root, after tests/env/setup.sh; images built)
set -euo pipefail
msting=${1:?usage: tests/bench/health.sh PATH/TO/msting}
. tests/bench/stack.sh
bench_stack hl 28643 28280 28400 "" "backup:
  recipients: [\"RECIPIENT\"]
health:
  disk_free_warning_percent: 2
  disk_free_critical_percent: 1"
bench_install
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
