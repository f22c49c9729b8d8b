#!/usr/bin/env bash
# Refreshes docs/screenshots/: runs the browser tests, which keep a screenshot of each page they
# check when STING_SCREENSHOTS names a folder. Run as root on Debian 12, like tests/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
env_lines=$(tests/env/setup.sh)
set -a
eval "$env_lines"
set +a
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$STING_CACHE/target}"
export STING_SCREENSHOTS="$PWD/docs/screenshots"
mkdir -p "$STING_SCREENSHOTS"
cargo nextest run -p stingd --test it --locked -E 'test(/^web::/)'
ls "$STING_SCREENSHOTS"
