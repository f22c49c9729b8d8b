#!/usr/bin/env bash
# Backup benchmark (docs/PERFORMANCE.md): on one stack of its own, filled with synthetic rows,
# `msting backup --encrypt` against the shell pipeline `pg_dump | zstd | age` over the same
# database, best of three each, in one run; prints both times and the ratio. The stack is
# purged at the end.
# Usage: tests/bench/backup.sh MSTING [MiB of rows, default 512]   (as root, after
# tests/env/setup.sh; images built)
set -euo pipefail
msting=${1:?usage: tests/bench/backup.sh PATH/TO/msting [MiB]}
mib=${2:-512}
. tests/bench/stack.sh
command -v zstd >/dev/null || { echo "the pipeline needs zstd: apt-get install -y zstd" >&2; exit 1; }
bench_stack bk 28543 28180 28300 "  db:
    memory_limit: 2g"
bench_install
db="$project-db-1"
rows=$((mib * 1024 * 1024 / 100))
# Table-like rows of about 100 bytes: ids, e-mail addresses, hashes, text.
docker exec "$db" psql -q -h /run/postgresql -U postgres -d sting -c "
  CREATE TABLE bench_rows AS
  SELECT i AS id, 'user' || (i % 5000) || '@example.org' AS email, md5(i::text) AS hash,
         'some document text about bees and hives ' || (i % 97) AS body
  FROM generate_series(1, $rows) AS i;" >/dev/null
size=$(docker exec "$db" psql -A -t -h /run/postgresql -U postgres -d sting -c "SELECT pg_database_size('sting')")
printf 'database: %.0f MiB\n' "$(awk -v s="$size" 'BEGIN { print s / 1048576 }')"
best() { sort -n | head -1; }
ours=(); pipeline=()
for _ in 1 2 3; do
  rm -f "$dir"/backups/sting-* "$dir"/pipeline.age
  t0=$(now); "$msting" --install-dir "$dir" backup --encrypt --recipient "$recipient" >/dev/null; t1=$(now)
  ours+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
  t0=$(now)
  docker exec "$db" pg_dump -Fc -Z0 -h /run/postgresql -U postgres sting | zstd -q -3 -T2 | age -r "$recipient" >"$dir/pipeline.age"
  t1=$(now)
  pipeline+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
  sleep 1
done
a=$(printf '%s\n' "${ours[@]}" | best); b=$(printf '%s\n' "${pipeline[@]}" | best)
printf 'msting backup --encrypt (everything): %.2f s   [%s]  %s\n' "$a" "${ours[*]}" "$(du -h "$dir"/backups/sting-*.age | cut -f1)"
printf 'pg_dump | zstd | age (one database): %.2f s   [%s]  %s\n' "$b" "${pipeline[*]}" "$(du -h "$dir/pipeline.age" | cut -f1)"
printf 'ratio: %.2f (goal <= 1.2)\n' "$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')"
