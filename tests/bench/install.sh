#!/usr/bin/env bash
# Install benchmark (docs/PERFORMANCE.md): a fresh install with the images present, the
# idempotent re-run (median of 5), and the stack's idle memory from `docker stats`, all in one
# run on a stack of its own, which is purged at the end.
# Usage: tests/bench/install.sh MSTING   (as root, after tests/env/setup.sh; images built)
set -euo pipefail
msting=${1:?usage: tests/bench/install.sh PATH/TO/msting}
. tests/bench/stack.sh
bench_stack in 28443 28080 28200
t0=$(now); "$msting" --install-dir "$dir" --yes install >/dev/null 2>&1; t1=$(now)
printf 'install, images present: %.1f s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
runs=()
for _ in 1 2 3 4 5; do
  t0=$(now); "$msting" --install-dir "$dir" --yes install >/dev/null 2>&1; t1=$(now)
  runs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
done
printf 'idempotent re-run (median of 5): %.2f s   [%s]\n' \
  "$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p)" "$(printf '%s ' "${runs[@]}")"
sleep 30
docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' | grep "^$project-" | tee /dev/stderr |
  awk '{ v=$2; u=v; gsub(/[0-9.]/, "", u); gsub(/[A-Za-z]/, "", v);
         m = (u=="GiB") ? v*1024 : (u=="KiB") ? v/1024 : v; total += m }
       END { printf "idle memory of the stack, no model loaded: %.0f MiB\n", total }'
