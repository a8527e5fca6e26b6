#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A cairn-pack stopped right after it committed its set, before it records the set in the
# catalog (CAIRN_TEST_PAUSE=pack-after-commit), while another process opens the repository
# and records the new set from it first (cairn-prune, as in cli:prune/concurrent-pack under
# load): the backup still succeeds (exit 0, the set id on stdout), and the catalog holds the
# set once.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

prune_repo
prune_policy 1
mkdir src && gen_file src/a.bin 100K 1
cairn-snap src --source web --class adhoc | cairn-diff >stream
CAIRN_TEST_PAUSE=pack-after-commit cairn-pack <stream >writer.out 2>writer.err &
writer=$!
for ((i = 0; i < 1200; i++)); do
  case $(ps -o stat= -p "$writer" 2>/dev/null) in
    T*) break ;;
    "") die "the writer exited before its pause point: $(cat writer.err)" ;;
  esac
  sleep 0.1
done
[[ $(ps -o stat= -p "$writer") == T* ]] || die "the writer did not reach its pause point"

cairn-prune >prune.out 2>prune.err || die "cairn-prune failed: $(cat prune.err)"
assert_eq 1 "$(set_ids | wc -l)" "sets in the catalog while the writer is stopped"

kill -CONT "$writer"
rc=0
wait "$writer" || rc=$?
[ "$rc" = 0 ] || die "cairn-pack exited $rc: $(cat writer.err)"
[ ! -s writer.err ] || die "cairn-pack said: $(cat writer.err)"
assert_eq "$(set_ids)" "$(head -n 1 writer.out)" "the set the catalog holds"
echo ok
