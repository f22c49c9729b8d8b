#!/usr/bin/env bash
# Install benchmark (docs/PERFORMANCE.md): a fresh install with the images present, the
# idempotent re-run (median of 5), and the stack's idle memory from `docker stats`, all in one
# run on a stack of its own, which is purged at the end.
# Usage: tests/bench/install.sh MSTING   (as root, after tests/env/setup.sh; images built)
set -euo pipefail
msting=${1:?usage: tests/bench/install.sh PATH/TO/msting}
eval "$(tests/env/setup.sh --print-env)"
dir=$(mktemp -d /tmp/sting-bench.XXXXXX)
project="sting-bench-$$"
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
    https_port: 28443
    http_port: 28080
  vault:
    port: 28200
images:
  prefix: sting-ce-test
  base: $STING_BASE_IMAGE
vault:
  key_shares: 1
  key_threshold: 1
  share_recipients: ["$recipient"]
YAML
now() { date +%s.%N; }
"$msting" --install-dir "$dir" images build >/dev/null
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
