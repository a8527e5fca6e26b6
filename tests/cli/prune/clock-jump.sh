#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Clock skew, a backwards jump mid-run (issue 18): the host clock of a cairn-pack jumps back a
# day while it runs (libfaketime reads its offset from a file the test rewrites while the writer
# is stopped at CAIRN_TEST_PAUSE=pack-before-ingest). The set it commits ends "before" it
# started and before the set it follows; the run's recorded duration is still sane (a steady
# clock), the set is app@latest and the one keep-last = 1 keeps (sets are ordered by their
# signed seq), and a prune on the right clock keeps it and it restores.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"
lib=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[ -e "$lib" ] || skip "libfaketime is not installed"
! asan_build || skip "an AddressSanitizer build (libfaketime cannot be preloaded ahead of the ASan runtime)"

prune_repo
prune_policy 1
: >made
mkdir before jumped
gen_file before/v.bin 50K 1
gen_file jumped/v.bin 50K 2
made_backup before app daily >/dev/null
(cairn-snap jumped --source app --class daily | cairn-diff >jumped.stream) 2>/dev/null

echo "+0" >offset
# (a clock step moves the wall clock only: CLOCK_MONOTONIC is left alone, as NTP leaves it)
LD_PRELOAD=$lib FAKETIME_TIMESTAMP_FILE=$PWD/offset FAKETIME_NO_CACHE=1 NO_FAKE_STAT=1 \
  FAKETIME_DONT_FAKE_MONOTONIC=1 \
  CAIRN_TEST_PAUSE=pack-before-ingest cairn-pack <jumped.stream >pack.out 2>pack.err &
writer=$!
for ((i = 0; i < 1200; i++)); do
  case $(ps -o stat= -p "$writer" 2>/dev/null) in
    T*) break ;;
    "") die "the writer exited before its pause point: $(cat pack.err)" ;;
  esac
  sleep 0.1
done
echo "-1d" >offset  # the clock jumps back a day
kill -CONT "$writer"
wait "$writer" || die "cairn-pack exited $?: $(cat pack.err)"
id=$(head -n 1 pack.out)
echo "$id jumped" >>made
read -r started ended duration < <(sqlite3 -separator ' ' "$CAIRN_CATALOG" \
  "SELECT started_ns, ended_ns, duration_ms FROM backup_set WHERE id = '$id'")
[ "$ended" -lt "$started" ] || die "the clock did not jump: started $started, ended $ended"
[ "$duration" -ge 0 ] && [ "$duration" -lt 3600000 ] || die "the run's duration reads $duration ms"
echo "a set whose writer's clock jumped back a day mid-run"

rm -rf out
cairn-restore app@latest --to "$PWD/out" 2>/dev/null
cmp out/v.bin jumped/v.bin || die "app@latest is not the set written last"
cairn-prune --dry-run --json >plan.json
keep=$("$CAIRN_PY" -c '
import json
for l in open("plan.json"):
    r = json.loads(l)
    if r.get("keep") is True and r.get("id"):
        print(r["id"])')
assert_eq "$id" "$keep" "the set keep-last = 1 keeps"
cairn-prune >/dev/null
assert_eq "$id" "$(set_ids app)" "the set left after the prune"
check_all_restore
cairn-verify --read-data >/dev/null
echo "it is latest, kept by keep-last = 1, and restores after the prune"
