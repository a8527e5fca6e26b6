#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-restore --search, what cairn-wal-restore finds a WAL segment with: the sets of a source
# hold one file each; SOURCE@latest --search --stdout NAME takes the newest set (at or before the
# one SET names) that holds NAME. A name no set holds exits 1 with one line; a newer set is
# never used for SOURCE@TIME; --search with --to and a PATH works too; --search with nothing to
# look for is a usage error.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
put() {  # put NAME CONTENT: one set of the source wal holding NAME
  printf '%s' "$2" | cairn-snap --stdin "$1" --source wal | cairn-pack -q >/dev/null
}
put 000000010000000000000001 "first segment"
put 000000010000000000000002 "second segment, first copy"
put 000000010000000000000003 "third segment"
sleep 1.1   # set times have second resolution in SOURCE@TIME
cutoff=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1.1
put 000000010000000000000002 "second segment, archived again"
put other.file "not a segment"

assert_eq "first segment" "$(cairn-restore wal@latest --search --stdout 000000010000000000000001)" "segment 1"
assert_eq "second segment, archived again" "$(cairn-restore wal@latest --search --stdout 000000010000000000000002)" "segment 2"
assert_eq "third segment" "$(cairn-restore wal@latest --search --stdout 000000010000000000000003)" "segment 3"
echo "wal@latest --search --stdout NAME: the newest set holding NAME"

expect_exit 1 cairn-restore wal@latest --stdout 000000010000000000000001
expect_stderr "^cairn-restore: error: the set holds no file '000000010000000000000001'$"
echo "without --search: only the set SET names"

expect_exit 1 cairn-restore wal@latest --search --stdout 000000010000000000000009
grep -q "no set of source 'wal' up to [0-9a-f]\{12\} holds '000000010000000000000009'" last.stderr \
  || die "unexpected message: $(cat last.stderr)"
[ ! -s last.stdout ] || die "something was written for a missing name"
echo "a name no set holds: exit 1, nothing written"

assert_eq "second segment, first copy" "$(cairn-restore "wal@$cutoff" --search --stdout 000000010000000000000002)" "segment 2 at $cutoff"
expect_exit 1 cairn-restore "wal@$cutoff" --search --stdout other.file
expect_stderr "no set of source 'wal' up to [0-9a-f]{12} holds 'other.file'"
echo "wal@TIME --search: never a set newer than TIME"

cairn-restore wal@latest --search --to out 000000010000000000000003
assert_eq "third segment" "$(cat out/000000010000000000000003)" "restored with --to"
echo "--search --to DIR PATH: ok"

expect_exit 2 cairn-restore wal@latest --search --to out2
grep -q -- "--search needs --stdout FILE or a PATH" last.stderr || die "unexpected message: $(cat last.stderr)"
echo "--search with nothing to look for: usage error"
