#!/usr/bin/env bash
# A repository write that fails (here: the file size limit, EFBIG, while a pack is written)
# stops cairn-pack with one error line naming the repository file; no warning blames a source
# file that was being read when the failure surfaced (issue 18). Nothing is committed.
set -euo pipefail
. "$CAIRN_CLI_LIB"

# Packs of 256K, written while files are still being read; the limit (128K) stops the first.
make_repo "$PWD/repo" --chunk-min 64K --chunk-avg 128K --chunk-max 256K \
  --pack-size 256K
mkdir a
for n in $(seq 1 24); do gen_file "a/f$n" 100K "$n"; done
cairn-snap a --source app >stream
rc=0
# SIGXFSZ ignored: a write past the limit fails with EFBIG instead of killing the process.
(trap '' XFSZ && ulimit -f 256 && exec cairn-pack --jobs 2 <stream >pack.out 2>pack.err) || rc=$?
assert_eq 1 "$rc" "cairn-pack's exit status"
if grep -q 'warning' pack.err; then
  sed 's/^/  | /' pack.err >&2
  die "a warning was printed"
fi
[ "$(wc -l <pack.err)" = 1 ] || die "expected one line: $(cat pack.err)"
grep -Eq "^cairn-pack: error: .*$CAIRN_REPO/" pack.err || die "the error does not name a repository file: $(cat pack.err)"
[ -z "$(set_ids)" ] || die "a set was committed"
echo "a failed repository write: exit 1, one line naming the repository file"
