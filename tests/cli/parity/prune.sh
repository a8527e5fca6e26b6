#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-prune removes a parity object once every pack it covers is swept, and prints its line
# ("-parity/<id>") for cairn-push; the parity of the packs that stay is kept.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo "$PWD/repo" --parity 4+1 --pack-size 64K --chunk-min 64K --chunk-avg 128K --chunk-max 256K
printf '[class.daily]\nkeep-last = 1\n' >policy.toml
export CAIRN_POLICY=$PWD/policy.toml
mkdir d1 d2
gen_file d1/a.bin 400K 7
gen_file d2/b.bin 400K 8
backup d1 --source d1 --class daily >/dev/null
old=$(grep '^+parity/' pack.out | cut -c2- | sort)
backup d2 --source d1 --class daily >/dev/null
new=$(grep '^+parity/' pack.out | cut -c2- | sort)
[ -n "$old" ] && [ -n "$new" ] || die "cairn-pack wrote no parity"
cairn-prune --grace-time 1s >prune.out 2>prune.err || { cat prune.err >&2; die "cairn-prune failed"; }
mkdir d3  # a set written after the mark: the sweep needs a new generation (--grace-sets 1)
gen_text d3/t.txt 10
backup d3 --source d3 >/dev/null
gone() { local p; for p in $old; do [ ! -e "repo/$p" ] || return 1; done; }
deadline=$((SECONDS + 60))  # the grace time is 1 s: poll, never a fixed sleep
until gone; do
  [ $SECONDS -lt $deadline ] || die "the old parity objects were not removed within 60 s"
  cairn-prune --grace-time 1s >>prune.out 2>>prune.err || { cat prune.err >&2; die "cairn-prune failed"; }
  gone || sleep 0.3
done
for p in $old; do
  [ ! -e "repo/$p" ] || die "$p outlived its packs"
  grep -qx -- "-$p" prune.out || die "cairn-prune did not print -$p"
done
for p in $new; do [ -e "repo/$p" ] || die "$p was removed with its packs still there"; done
expect_exit 0 cairn-verify --read-data
echo "parity objects go with their packs, and only then"

# Compaction: the new packs it writes get parity as a write session's do ("+parity/" lines
# after the new packs), and a new pack deleted afterwards is rebuilt from it.
mkdir d4 && gen_file d4/c.bin 20K 9 && gen_file d4/e.bin 20K 10 # one pack: a live and a dead chunk
backup d4 --source d4 >/dev/null
rm d4/e.bin && backup d4 --source d4 >/dev/null
cairn-prune --grace-time 1s --max-unused 10% >compact.out 2>compact.err ||
  { cat compact.err >&2; die "cairn-prune --max-unused failed"; }
grep -q '^+holds/' compact.out || die "nothing was compacted: $(cat compact.out)"
newpack=$(grep -m1 '^+packs/' compact.out | cut -c2-)
[ -n "$newpack" ] || die "compaction wrote no pack"
awk '/^\+packs\//{p=NR} /^\+parity\//{q=NR} END{exit !(p && q > p)}' compact.out ||
  die "no parity line after the new packs: $(cat compact.out)"
rm "repo/$newpack"
cairn-verify --read-data >verify.out 2>&1 || { cat verify.out >&2; die "verify did not rebuild the new pack"; }
[ -e "repo/$newpack" ] || die "the compacted pack was not put back"
echo "compaction's new packs get parity"
