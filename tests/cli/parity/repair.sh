#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Erasure-coded parity (cairn init --parity 3+1): cairn-pack writes a parity object for the
# packs of its session; cairn-verify --read-data rebuilds a pack whose bytes were flipped at
# random offsets, and one that was deleted, puts each back and reports it repaired (exit 0);
# a restore then gives back the files. Two damaged packs of one group (m = 1) are beyond the
# code's power: both named, exit 4.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo "$PWD/repo" --parity 3+1 --pack-size 256K --chunk-min 64K --chunk-avg 128K --chunk-max 256K
mkdir app
gen_file app/a.bin 600K 1
gen_file app/b.bin 300K 2
set=$(backup app --source app)
grep -q '^+parity/[0-9a-f]\{64\}$' pack.out || die "cairn-pack printed no parity object"
mapfile -t packs < <(find repo/packs -type f | sort)
[ "${#packs[@]}" -ge 3 ] || die "expected 3 or more packs, got ${#packs[@]}"
cp -a repo pristine

# Random byte flips in one pack: offsets from $RANDOM, each byte inverted (always a change).
p=${packs[0]}
size=$(stat -c %s "$p")
for _ in 1 2 3 4 5; do flip_byte "$p" $(((RANDOM * 32768 + RANDOM) % size)); done
cmp -s "$p" "pristine/${p#repo/}" && die "the flips changed nothing"
expect_exit 0 cairn-verify --read-data
grep -q "^note: repaired pack $(basename "$p") from parity object [0-9a-f]\{64\} (it did not match its name)$" last.stdout \
  || { cat last.stdout >&2; die "verify did not report the flipped pack repaired"; }
cmp "$p" "pristine/${p#repo/}" || die "the repaired pack differs from the original"
[ -z "$(ls repo/tmp)" ] || die "repair left files in tmp/"

# A deleted pack.
rm "${packs[1]}"
expect_exit 0 cairn-verify --read-data
grep -q "^note: repaired pack $(basename "${packs[1]}") from parity object .* (it was missing)$" last.stdout \
  || { cat last.stdout >&2; die "verify did not report the deleted pack repaired"; }
cmp "${packs[1]}" "pristine/${packs[1]#repo/}" || die "the rebuilt pack differs from the original"
expect_exit 0 cairn-verify --read-data
grep -q "repaired" last.stdout && die "a second verify repaired again"

# Beyond the power: two packs of one group (m = 1), as its parity object's header lists them.
mapfile -t group < <("$CAIRN_PY" -c '
import sys
d = max((open(f, "rb").read() for f in sys.argv[1:]), key=lambda d: d[10])  # the largest group
for i in range(d[10]):
    h = d[56 + 40 * i:88 + 40 * i].hex()
    print("repo/packs/%s/%s" % (h[:2], h))' repo/parity/*)
[ "${#group[@]}" -ge 2 ] || die "the largest parity group has ${#group[@]} packs"
rm "${group[0]}"
flip_byte "${group[1]}" 100
expect_exit 4 cairn-verify --read-data
expect_stderr "damage found: "
for q in "${group[0]}" "${group[1]}"; do
  grep -q "^[a-z]* pack $(basename "$q"): .*parity cannot repair it: 2 packs of its group are damaged or missing .*beyond the power of parity object '[0-9a-f]*' (3+1), which rebuilds at most 1" last.stdout \
    || { cat last.stdout >&2; die "pack $(basename "$q") is not named as beyond the parity's power"; }
done
echo "parity 3+1: flipped bytes and a deleted pack repaired, two lost packs named, exit 4"
