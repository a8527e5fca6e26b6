#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-restore falls back to parity when a chunk fails authentication: the damaged pack is
# rebuilt in memory from its group (the repository is left as it is) and the files come back
# whole. A parity object forged by someone who can write the storage (its shards changed, then
# stored under the hash of its new bytes, so the name checks out) cannot make a reader accept
# wrong data: the rebuilt pack does not hash to its name, so verify names the damage (exit 4)
# and leaves the pack alone, and restore fails (exit 4) rather than write wrong bytes.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo "$PWD/repo" --parity 2+1 --pack-size 256K --chunk-min 64K --chunk-avg 128K --chunk-max 256K
mkdir app
gen_file app/a.bin 600K 3
set=$(backup app --source app)
mapfile -t packs < <(find repo/packs -type f | sort)
p=${packs[0]}
flip_byte "$p" 200  # inside the first blob (the header is 90 bytes)
cp "$p" damaged.pack
expect_exit 0 cairn-restore "$set" --to "$PWD/out"
cmp app/a.bin out/a.bin || die "the restored file differs"
cmp "$p" damaged.pack || die "restore changed the repository"

# Forge the parity of the damaged pack's group.
par=
for f in repo/parity/*; do
  if "$CAIRN_PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(0 if bytes.fromhex(sys.argv[2]) in d[:2000] else 1)' "$f" "$(basename "$p")"; then par=$f; fi
done
[ -n "$par" ] || die "no parity object names pack $(basename "$p")"
k=$(od -An -tu1 -j 10 -N1 "$par" | tr -d ' ')
flip_byte "$par" $((56 + 40 * k + 32 + 200))  # the shard byte at offset 200 (not in the MAC)
name=$(b2sum -l 256 "$par" | cut -d' ' -f1)
mv "$par" "repo/parity/$name"
expect_exit 4 cairn-verify --read-data
expect_stderr "damage found: "
grep -q "^damaged pack $(basename "$p"): .*parity cannot repair it: its rebuild from parity object '$name' ([0-9]*+1) does not match its name" last.stdout \
  || { cat last.stdout >&2; die "verify did not name the failed rebuild"; }
cmp "$p" damaged.pack || die "verify replaced the pack with a wrong rebuild"
rm -rf out
expect_exit 4 cairn-restore "$set" --to "$PWD/out"
expect_stderr "pack '$(basename "$p")' is corrupt"
echo "restore through parity; a forged parity object yields no wrong data"
