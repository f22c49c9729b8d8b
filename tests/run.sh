#!/usr/bin/env bash
# The project's test command (the README's, and CI's through .ci/run): prepares every real
# component, then checks formatting, lints, dependency policy, and runs the whole test suite.
# Run as root on Debian 12. Builds go to a target directory cached outside the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
phase() { printf '\n==> %s (%ss)\n' "$1" "$(( $(date +%s) - started ))" >&2; }

phase "test environment (tests/env/setup.sh)"
env_lines=$(tests/env/setup.sh)
set -a
eval "$env_lines"
set +a

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$STING_CACHE/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# The target directory is shared by every clone on this machine and only grows; the incremental
# cache is most of it and safe to drop. Below 10 GiB free, drop it rather than fail mid-build.
mkdir -p "$CARGO_TARGET_DIR"
free_kib=$(df -Pk "$CARGO_TARGET_DIR" | awk 'NR == 2 { print $4 }')
if [ -n "$free_kib" ] && [ "$free_kib" -lt $((10 * 1024 * 1024)) ]; then
  phase "only $((free_kib / 1024 / 1024)) GiB free: dropping the incremental build cache"
  rm -rf "$CARGO_TARGET_DIR/debug/incremental"
fi

phase "cargo fmt --check"
cargo fmt --all --check

phase "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

phase "cargo deny (bans, licenses, sources; the advisory database cannot be fetched here)"
"$STING_CARGO_DENY" --log-level error check bans licenses sources

phase "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  # nextest does not run doctests.
  cargo test --workspace --locked --doc
else
  cargo test --workspace --locked --no-fail-fast
fi

phase "done"
