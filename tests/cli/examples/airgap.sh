#!/usr/bin/env bash
# examples/airgap: the weekly full set to an offline disk and the daily incrementals to object
# storage, run from the example crontab. offline-full refuses a disk that is not mounted (exit
# 13, nothing written); on a "disk" it writes a full set that restores from the disk alone
# (local repository and catalog gone), and the daily incremental restores from object storage.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

make_repo
src=$PWD/app
mkdir -p "$src" disk
gen_file "$src/a.bin" 2M 6
gen_text "$src/b.txt" 50
export PATH="$examples:$PATH"

expect_exit 13 "$examples/airgap/offline-full" "$PWD/disk" "$src" app
grep -q 'not a mounted filesystem' last.stderr || die "no clear line for an unmounted disk: $(cat last.stderr)"
[ -z "$(ls -A disk)" ] || die "offline-full wrote to an unmounted disk"
echo "unmounted disk: refused, nothing written"

objstore=$(object_store_url airgap)
"$CAIRN_PY" "$examples_parser" cron "$examples/airgap/crontab" >cron.lines
mapfile -t cmds < <(sed -n 's/^CMD //p' cron.lines | scratch_paths "$src" "$objstore" \
                    | sed -e "s|mount /mnt/offline && ||" -e "s|/mnt/offline|$PWD/disk|g")
[ "${#cmds[@]}" = 2 ] || die "expected the weekly and the daily line, found ${#cmds[@]}"
CAIRN_ALLOW_UNMOUNTED=1 CAIRN_NO_UNMOUNT=1 bash -c "${cmds[0]}" >weekly.out 2>weekly.err \
  || { cat weekly.err >&2; die "the weekly line failed"; }
echo "weekly: full set written and verified on the disk"
gen_file "$src/c.bin" 1M 7
bash -c "${cmds[1]}" >daily.out 2>daily.err || { cat daily.err >&2; die "the daily line failed"; }
echo "daily: incremental set copied to object storage"

mv "$CAIRN_REPO" repo.away
mv "$CAIRN_CATALOG" catalog.away
export CAIRN_CATALOG=$PWD/fresh.db
cairn-restore app@latest --from "$PWD/disk/cairn" --to "$PWD/from-disk" 2>/dev/null
[ -f from-disk/a.bin ] && [ ! -e from-disk/c.bin ] || die "the disk does not hold the weekly set"
cmp "$src/a.bin" from-disk/a.bin
echo "the disk alone restores the weekly full set"
cairn-restore app@latest --from "$objstore" --to "$PWD/from-cloud" 2>restore.err || { cat restore.err >&2; die "restore from object storage failed"; }
compare_trees "$src" from-cloud
echo "object storage alone restores the newest set"
