#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Packing overlaps the upload: `cairn-pack --stream` prints each pack's line as soon as the pack
# is stored, while its input is still coming (the set id last), and cairn-push uploads a pack
# as soon as its line arrives, while its own input is still open; index files and the set
# object go up only at the end, after every pack. The destination then restores alone.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

# small chunks and packs: the chunker cuts once it holds --chunk-max bytes, so 6 MiB fill packs
make_repo "$PWD/repo" --pack-size 1M --chunk-min 64K --chunk-avg 128K --chunk-max 256K
gen_file data 8M 7

wait_for() {  # wait_for WHAT CMD...: polls CMD for up to 120 s
  local what=$1 i
  shift
  for ((i = 0; i < 1200; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  die "timed out waiting for $what"
}
is_set_id() { [[ $1 =~ ^[0-9a-f]{64}$ ]]; }

# cairn-pack --stream: 6 MiB in, the input held open: packs are printed, no set yet
mkfifo feed
(set -o pipefail && cairn-snap --stdin db.dump --source pg <feed | cairn-pack --stream >pack.out 2>pack.err) &
pid=$!
exec 3>feed
head -c 6M data >&3
wait_for "a pack line from cairn-pack --stream" grep -q '^+packs/' pack.out
kill -0 "$pid" 2>/dev/null || die "cairn-pack ended before its input did"
grep -Eq '^[0-9a-f]{64}$|^\+sets/|^\+index/' pack.out && die "a set or index line came before the input ended"
tail -c +$((6 * 1024 * 1024 + 1)) data >&3
exec 3>&-
wait "$pid" || { cat pack.err >&2; die "cairn-pack --stream failed"; }
id=$(tail -n 1 pack.out)
is_set_id "$id" || die "the last line is not the set id: '$id'"
[ "$(tail -n 2 pack.out | head -n 1)" = "+sets/$id" ] || die "the set object is not the line before the id"
[ "$(grep -c '^+packs/' pack.out)" -ge 6 ] || die "fewer than 6 packs of 1 MiB for 8 MiB"
[ "$(grep -vc '^+packs/' pack.out)" = 3 ] || die "expected one index, one set and the id after the packs"
echo "cairn-pack --stream: packs while the input is open, the set id last"

# cairn-push: the first pack line alone, stdin held open: that pack goes up now
dest=$PWD/dest
mkfifo lines
cairn-push "file://$dest" <lines >push.out 2>push.err &
pid=$!
exec 3>lines
first=$(head -n 1 pack.out)
echo "$first" >&3
wait_for "cairn-push to send the first pack" grep -qx "$first file://$dest" push.out
kill -0 "$pid" 2>/dev/null || die "cairn-push ended before its input did"
[ ! -e "$dest/sets/$id" ] || die "the set object went up before the input ended"
tail -n +2 pack.out >&3
exec 3>&-
wait "$pid" || { cat push.err >&2; die "cairn-push failed"; }
[ "$(tail -n 1 push.out)" = "+sets/$id file://$dest" ] || die "the set object was not pushed last"
last_pack=$(grep -n '^+packs/' push.out | tail -n 1 | cut -d: -f1)
first_index=$(grep -n '^+index/' push.out | head -n 1 | cut -d: -f1)
[ "$last_pack" -lt "$first_index" ] || die "an index file went up before a pack"
sed 's/ .*//' push.out | grep -E '^\+(packs|index|sets)/' | LC_ALL=C sort >pushed
grep -E '^\+(packs|index|sets)/' pack.out | LC_ALL=C sort >printed
diff -u printed pushed >&2 || die "cairn-push did not send exactly what cairn-pack printed"
echo "cairn-push: a pack as soon as its line arrives; index files, then the set, at the end"

# the set named on the last line has its placement recorded
n=$("$CAIRN_PY" - "$CAIRN_CATALOG" "file://$dest" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT count(*) FROM placement WHERE destination = ?", (sys.argv[2],)).fetchone()[0])
PY
)
assert_eq 1 "$n" "placements at the destination"
echo "placement recorded from the id on the last line"

# the destination restores alone
mv "$CAIRN_REPO" repo.away
cairn-restore "$id" --from "file://$dest" --stdout db.dump >back 2>/dev/null
cmp data back
echo "restore --from: equal to the input"
