#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# How much of a second daily pg_dump cairn stores, after 1% of the rows changed, for each dump
# format of examples/postgres/cairn-pg-dump (compressed = pg_dump -Fc, custom = -Fc -Z0,
# plain = -Fp), in a repository with the default chunking (1 MiB average) and one made with
# --chunk-avg 256K. Three ways of changing 1% of the rows of both tables:
#   recent     the newest 1% (ids at the end: what an application mostly touches)
#   block      one contiguous 1% in the middle (a past season re-scheduled)
#   scattered  1% at random positions (the worst case for any chunking deduplication)
# The figures are bytes_new / bytes_read of the second set (cairn ls --json; 100% means nothing
# deduplicated) and its bytes_stored (after cairn's zstd). Checked: the uncompressed formats
# store a small part of a recent or block change, and after a block change -Fc -Z0 stores fewer
# bytes than -Fc (why RUNBOOK.md recommends -Fc -Z0). Prints the table quoted in
# examples/postgres/RUNBOOK.md.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_pg.sh
. "$CAIRN_CASE_DIR/_pg.sh"
need_pg
make_repo   # for its passphrase file; every measurement gets a repository of its own

base=$(unique_name cairn_dedup)
make_shop "$base" 200000
psql -qX -d "$base" -c "VACUUM ANALYZE" >/dev/null
declare -A change=(
  [recent]="UPDATE orders SET status = 'refunded', note = note || ' r' WHERE id > 198000;
            UPDATE customers SET city = 'Madrid' WHERE id > 99000;"
  [block]="UPDATE orders SET status = 'refunded', note = note || ' r' WHERE id BETWEEN 100001 AND 102000;
           UPDATE customers SET city = 'Madrid' WHERE id BETWEEN 50001 AND 51000;"
  [scattered]="SELECT setseed(0.42);
               UPDATE orders SET status = 'refunded', note = note || ' r' WHERE random() < 0.01;
               UPDATE customers SET city = 'Madrid' WHERE random() < 0.01;"
)
scenarios=(recent block scattered)
for s in "${scenarios[@]}"; do
  createdb -T "$base" "${base}_$s"
  _pg_dbs+=("${base}_$s")
  psql -qX -v ON_ERROR_STOP=1 -d "${base}_$s" -c "${change[$s]}" >/dev/null
  changed=$(psql -XAt -d "${base}_$s" -c "SELECT (SELECT count(*) FROM orders WHERE status = 'refunded') + (SELECT count(*) FROM customers WHERE city = 'Madrid')")
  # 1% of 300000 rows, give or take what random() picks
  [ "$changed" -ge 2700 ] && [ "$changed" -le 3300 ] || die "scenario $s changed $changed rows, not about 3000"
done

declare -A fmt_args=([compressed]="-Fc" [custom]="-Fc -Z0" [plain]="-Fp")
declare -A ratio stored_of
printf '%-10s %-9s %-8s %s\n' format change chunking "second dump: new / read, stored after zstd"
for f in compressed custom plain; do
  # shellcheck disable=SC2086  # the format's pg_dump flags
  pg_dump ${fmt_args[$f]} -d "$base" >day1
  for s in "${scenarios[@]}"; do
    # shellcheck disable=SC2086
    pg_dump ${fmt_args[$f]} -d "${base}_$s" >day2
    for c in 1M 256K; do
      repo=$PWD/repo-$f-$s-$c
      opts=()
      [ "$c" = 1M ] || opts=(--chunk-avg "$c" --chunk-min 64K --chunk-max 1M)
      cairn init --repo "$repo" --passphrase-file "$CAIRN_PASSPHRASE_FILE" --catalog "$repo.db" "${opts[@]}" >/dev/null 2>&1 \
        || die "cairn init ${opts[*]} failed"
      for day in day1 day2; do
        cairn-snap --stdin "$base.dump" --source "pg-$base" <$day | cairn-pack --repo "$repo" --catalog "$repo.db" -q >/dev/null
      done
      line=$(cairn ls --repo "$repo" --catalog "$repo.db" --json | tail -n 1)
      read -r read_ stored pct < <("$CAIRN_PY" -c 'import json, sys; r = json.loads(sys.argv[1]); print(r["bytes_read"], r["bytes_stored"], "%.1f" % (100.0 * r["bytes_new"] / r["bytes_read"]))' "$line")
      ratio[$f-$s-$c]=$pct
      stored_of[$f-$s-$c]=$stored
      printf '%-10s %-9s %-8s %5s%% of %8d bytes %8d\n' "$f" "$s" "$c" "$pct" "$read_" "$stored"
      rm -rf "$repo" "$repo.db"*
    done
  done
done
rm -f day1 day2

below() { "$CAIRN_PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$1" "$2"; }
for f in custom plain; do
  for s in recent block; do
    below "${ratio[$f-$s-256K]}" 35 || die "$f dump, $s change, 256K chunks: ${ratio[$f-$s-256K]}% stored, expected under 35%"
  done
done
# Checked with 256 KiB chunks only: chunk boundaries are keyed per repository, so with 1 MiB
# chunks on a dump of a few dozen chunks the figures move by a chunk or two between runs.
below "${stored_of[custom-block-256K]}" "${stored_of[compressed-block-256K]}" \
  || die "block change: -Fc -Z0 stored ${stored_of[custom-block-256K]} bytes, not less than -Fc's ${stored_of[compressed-block-256K]}"
echo "uncompressed dumps deduplicate a recent or block change; -Fc -Z0 stores less than -Fc after a block change"
