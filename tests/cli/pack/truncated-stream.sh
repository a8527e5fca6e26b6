#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A manifest stream cut anywhere (in the header, in an entry line, between lines, before or
# in the trailer, inside a content frame) is refused by cairn-pack with one error line, and
# nothing is committed; the earlier set still restores.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$CAIRN_CASE_DIR/_common.sh"

make_repo
mkdir -p src/d
for i in 1 2 3 4 5; do gen_text "src/d/f$i.txt" 50; done
gen_file src/bin 200K 1
first=$(backup src --source cut)

cairn-snap src --source cut >dir.stream
head -c 3M /dev/urandom >blob
cairn-snap --stdin blob --source cut <blob >inline.stream
size=$(stat -c %s dir.stream)
line1=$(head -n 1 dir.stream | wc -c)
no_trailer=$(($(head -n -1 dir.stream | wc -c)))

offsets=(0 1 10 $((line1 - 1)) "$line1" $((line1 + 7)) $((size / 2)) $((no_trailer - 1)) "$no_trailer" $((no_trailer + 20)) $((size - 2)))
for off in "${offsets[@]}"; do
  head -c "$off" dir.stream >cut.stream
  pack_refuses "directory stream cut at byte $off of $size" cut.stream
done
head -c "$no_trailer" dir.stream >cut.stream
pack_refuses "stream without its trailer" cut.stream 'truncated|trailer'
echo "directory stream cut at ${#offsets[@]} places: refused"

isize=$(stat -c %s inline.stream)
iline2=$(head -n 2 inline.stream | wc -c)
for off in $((iline2 + 3)) $((iline2 + 1024 * 1024)) $((isize / 2)) $((isize - 100)); do
  head -c "$off" inline.stream >cut.stream
  pack_refuses "inline stream cut at byte $off of $isize" cut.stream
done
echo "inline stream cut inside its frames: refused"

# a producer that dies half-way, in a pipe
rc=0
(set -o pipefail && { head -c $((size / 2)) dir.stream; exit 1; } | cairn-pack >pipe.out 2>pipe.err) || rc=$?
[ "$rc" != 0 ] || die "a pipe with a dying producer exited 0"
assert_eq 1 "$(set_ids | wc -l)" "sets after the dying producer"
echo "dying producer: nothing committed"

cairn-verify >/dev/null 2>&1 || die "cairn-verify fails at the end"
cairn-restore "$first" --to "$PWD/out" 2>/dev/null
compare_trees src out
# the complete streams still pack
cairn-pack <dir.stream >/dev/null 2>&1
cairn-pack <inline.stream >/dev/null 2>&1
assert_eq 3 "$(set_ids | wc -l)" "sets after packing the complete streams"
cairn-restore cut@latest --stdout blob 2>/dev/null | cmp - blob
echo "earlier set restores, complete streams pack"
