#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The copy deduplicates against what the target holds: after a 4 MiB set is copied, copying
# the next set (the same files and 100 KiB more) adds little more than those 100 KiB, and
# copying a set the target's own backup already holds the data of adds less still.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

copy_repos
mkdir src && gen_file src/a.bin 3M 1 && gen_text src/b.txt 20000
s1=$(backup src --source app)
gen_file src/c.bin 100K 2
s2=$(backup src --source app)
size() { du -sb "$CAIRN_TO_REPO" | cut -f1; }

cairn copy "$s1" >/dev/null
after1=$(size)
cairn copy "$s2" >/dev/null
after2=$(size)
grew=$((after2 - after1))
[ "$grew" -lt $((300 * 1024)) ] || die "copying the second set added $grew bytes (100 KiB are new)"
echo "the second set adds little"

# The target's own backup of other files first, then a copy of a set holding them.
mkdir other && gen_file other/x.bin 2M 9
on_target backup other --source mine >/dev/null
cp other/x.bin src/x.bin
s3=$(backup src --source app)
before3=$(size)
cairn copy "$s3" >/dev/null
grew3=$(($(size) - before3))
[ "$grew3" -lt $((300 * 1024)) ] || die "copying a set whose data the target holds added $grew3 bytes"
echo "data the target's own backups hold is not stored again"
