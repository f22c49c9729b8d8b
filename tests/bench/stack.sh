# Sourced by the benchmarks: a stack of the benchmark's own, purged when the script exits.
# bench_stack NAME HTTPS HTTP VAULT [SERVICES_YAML] [TOP_LEVEL_YAML] sets `dir`, `project` and
# `recipient` (an age key made for it), writes its config (extra lines under `services:` and
# at the top level as given), builds the images and installs it. Needs `msting` set.
eval "$(tests/env/setup.sh --print-env)"
now() { date +%s.%N; }
bench_stack() {
  local name=$1 https=$2 http=$3 vault=$4 services=${5:-} top=${6:-}
  dir=$(mktemp -d /tmp/sting-bench.XXXXXX)
  project="sting-bench-$name-$$"
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
    https_port: $https
    http_port: $http
  vault:
    port: $vault
$services
images:
  prefix: sting-ce-test
  base: $STING_BASE_IMAGE
vault:
  key_shares: 1
  key_threshold: 1
  share_recipients: ["$recipient"]
${top//RECIPIENT/$recipient}
YAML
  "$msting" --install-dir "$dir" images build >/dev/null
}

# Installs the stack bench_stack wrote; its log is shown if it fails.
bench_install() {
  "$msting" --install-dir "$dir" --yes install >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
}
