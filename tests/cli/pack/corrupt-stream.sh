#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Streams that are complete but wrong are refused by cairn-pack with one error line and
# nothing committed: a removed line, a changed byte in an entry or in the trailer digest, a
# wrong entry count, data after the trailer, a stream of another kind, an unknown major
# version, data that is not JSON. A snap failing upstream in a pipe commits nothing either.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$CAIRN_CASE_DIR/_common.sh"

make_repo
mkdir -p src/d
for i in 1 2 3 4 5; do gen_text "src/d/f$i.txt" 20; done
first=$(backup src --source bad)
cairn-snap src --source bad >good.stream
n=$(wc -l <good.stream)
[ "$n" -ge 8 ] || die "expected at least 8 lines in the stream"

# recompute the trailer for a changed body, so that only the intended fault remains
retrail() {  # retrail IN OUT: OUT = IN's lines but the last, plus a correct trailer
  local entries
  head -n -1 "$1" >"$2"
  entries=$(($(wc -l <"$2") - 1))
  printf '{"end":true,"entries":%d,"digest":"%s"}\n' "$entries" "$(b2sum -l 256 <"$2" | cut -d' ' -f1)" >>"$2"
}
retrail good.stream check.stream
cmp -s good.stream check.stream || die "retrail does not reproduce cairn-snap's trailer (format changed?)"

sed '4d' good.stream >s
pack_refuses "an entry line removed" s 'digest|entries|count'
sed '3s/"mode":[0-9]*/"mode":511/' good.stream >s
cmp -s s good.stream && die "sed did not change the mode"
pack_refuses "a mode changed in an entry" s 'digest'
# one hex digit of the trailer digest changed
last=$(tail -n 1 good.stream)
d=$(printf '%s' "$last" | sed 's/.*"digest":"\([0-9a-f]*\)".*/\1/')
c=${d:10:1}; [ "$c" = 0 ] && r=1 || r=0
{ head -n -1 good.stream; printf '%s\n' "${last/$d/${d:0:10}$r${d:11}}"; } >s
pack_refuses "a changed byte in the trailer digest" s 'digest'
{ head -n -1 good.stream; printf '%s\n' "$last" | sed 's/"entries":[0-9]*/"entries":999/'; } >s
pack_refuses "a wrong entry count" s 'entries|count'
{ cat good.stream; printf '{"path":"late","type":"file"}\n'; } >s
pack_refuses "data after the trailer" s 'after'
{ cat good.stream; cat good.stream; } >s
pack_refuses "two streams one after the other" s
echo "altered streams: refused"

echo '{"cairn":"objects"}' >s
pack_refuses "a stream of another kind" s 'objects'
echo '{"cairn":"objects","version":[1,0]}' >s
pack_refuses "a stream of another kind, with a version" s 'objects'
sed '1s/"version":\[1,0\]/"version":[2,0]/' good.stream >s0
retrail s0 s
pack_refuses "major version 2" s '2\.0|version'
sed '1s/"version":\[1,0\]/"version":[1,7]/' good.stream >s0
retrail s0 minor.stream
printf 'this is not json\n' >s
pack_refuses "data that is not JSON" s 'json'
printf '' >s
pack_refuses "empty input" s 'empty'
head -c 4096 /dev/urandom >s
pack_refuses "random bytes" s
printf '[1,2,3]\n' >s
pack_refuses "a JSON array" s
{ head -n -1 good.stream; printf '{"path":"x","type":"no-such-type"}\n{}\n'; } >s0
retrail s0 s
pack_refuses "an unknown entry type" s 'type'
{ head -n -1 good.stream; printf '{"path":"x","type":"file","mode":"rw"}\n{}\n'; } >s0
retrail s0 s
pack_refuses "an ill-typed mode" s 'mode'
echo "wrong kinds and versions: refused"

# a later minor version (readers ignore keys they do not know) is accepted
cairn-pack <minor.stream >/dev/null 2>&1 || die "a 1.7 stream was refused"
assert_eq 2 "$(set_ids | wc -l)" "sets after packing a 1.7 stream"

# upstream failure in a pipe: nothing committed
for upstream in "cairn-snap $PWD/nonexistent --source bad" "false" "cairn-snap --no-such-option"; do
  rc=0
  (set -o pipefail && $upstream | cairn-pack >up.out 2>up.err) || rc=$?
  [ "$rc" != 0 ] || die "'$upstream | cairn-pack' exited 0"
  [ ! -s up.out ] || die "'$upstream | cairn-pack' printed a set id"
done
assert_eq 2 "$(set_ids | wc -l)" "sets after failing upstreams"
rc=0
(set -o pipefail && cairn-snap "$PWD/nonexistent" --source bad | cairn-diff | cairn-pack >up.out) 2>up.err || rc=$?
[ "$rc" != 0 ] || die "snap | diff | pack with a failing snap exited 0"
grep -q "nonexistent" up.err || { cat up.err >&2; die "nobody named the missing directory"; }
assert_eq 2 "$(set_ids | wc -l)" "sets after a failing snap | diff | pack"
cairn-verify >/dev/null 2>&1 || die "cairn-verify fails at the end"
cairn-restore "$first" --to "$PWD/out" 2>/dev/null
compare_trees src out
echo "failing upstream: nothing committed"
