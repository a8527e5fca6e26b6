#!/usr/bin/env bash
# Compression settings: the repository's default (cairn init --compression LEVEL|auto|off),
# a class's in the policy, and a run's own (cairn-pack --compression, cairn backup
# --compression), which wins. Each set restores
# exactly and verify --read-data passes whatever the setting; stored bytes show what was
# compressed: auto stores random data raw and text compressed, off stores text raw. Bad
# values are one usage line (exit 2).
set -euo pipefail
. "$CAIRN_CLI_LIB"

(umask 077 && printf 'a passphrase\n' >pw)
expect_exit 2 cairn init --repo "$PWD/bad" --passphrase-file pw --compression 20
expect_stderr "compression '20' is not a zstd level from 1 to 19, 'auto' or 'off'"
[ "$(wc -l <last.stderr)" = 1 ] || die "more than one line: $(cat last.stderr)"
[ ! -e bad/config ] || die "a repository was made with a bad setting"
echo "init --compression 20: usage error"

make_repo "$PWD/repo" --compression off
mkdir rnd txt
gen_file rnd/random.bin 3M 21
gen_text txt/text.txt 40000
rnd_size=$(stat -c %s rnd/random.bin)
txt_size=$(stat -c %s txt/text.txt)

stored() { ls_field "$1" bytes_stored; }

cairn backup txt --source default -q
id=$(set_ids default)
[ "$(stored "$id")" -ge "$txt_size" ] || die "the default 'off' compressed text: $(stored "$id") of $txt_size"
echo "repository default off: text stored raw"

n=0
for mode in 3 auto off; do
  for what in rnd txt; do
    n=$((n + 1))
    if [ $((n % 2)) = 1 ]; then  # both ways in: cairn-pack and cairn backup
      id=$(backup "$what" --source "$what-$mode" -- --full --compression "$mode")
    else
      cairn backup "$what" --source "$what-$mode" --full --compression "$mode" -q
      id=$(set_ids "$what-$mode")
    fi
    cairn-restore "$id" --to "$PWD/out-$what-$mode" 2>/dev/null
    cmp "$what"/* out-"$what-$mode"/*
    eval "stored_${what}_${mode}=$(stored "$id")"
  done
done
echo "every mode restores exactly"

# Each set above is --full: it stored its own copy of every chunk, so bytes_stored is what
# its mode made of that data.
[ "$stored_rnd_auto" -ge "$rnd_size" ] || die "auto compressed random data: $stored_rnd_auto"
[ "$stored_txt_auto" -lt $((txt_size / 4)) ] || die "auto did not compress text: $stored_txt_auto of $txt_size"
[ "$stored_txt_3" -lt $((txt_size / 4)) ] || die "level 3 did not compress text: $stored_txt_3"
[ "$stored_txt_off" -ge "$txt_size" ] || die "off compressed text: $stored_txt_off"
echo "auto: random raw, text compressed; off: text raw"

# The policy's class setting: off for class raw, 3 for class packed (over the repository's
# off); --compression still wins over it.
printf '[class.raw]\ncompression = "off"\n[class.packed]\ncompression = 3\n' >policy.toml
id=$(CAIRN_POLICY=$PWD/policy.toml backup txt --source pol-a --class packed -- --full)
[ "$(stored "$id")" -lt $((txt_size / 4)) ] || die "class packed (level 3) was not compressed"
cairn backup txt --source pol-b --class raw --policy policy.toml --full -q
[ "$(stored "$(set_ids pol-b)")" -ge "$txt_size" ] || die "class raw (off) was compressed"
cairn backup txt --source pol-c --class raw --policy policy.toml --full --compression auto -q
[ "$(stored "$(set_ids pol-c)")" -lt $((txt_size / 4)) ] || die "--compression did not override the policy"
echo "policy: the class's compression, overridden by --compression"

cairn-verify --read-data >verify.out 2>&1 || { cat verify.out >&2; die "verify --read-data fails"; }
echo "verify --read-data passes"

expect_exit 2 cairn backup txt --source x --compression fast
expect_stderr "compression 'fast' is not a zstd level"
[ "$(wc -l <last.stderr)" = 1 ] || die "more than one line: $(cat last.stderr)"
[ -z "$(set_ids x)" ] || die "a set was committed"
(cairn-snap txt --source y | cairn-pack --compression 0) >/dev/null 2>pack.err && die "cairn-pack --compression 0 succeeded"
grep -q "compression '0' is not a zstd level" pack.err || die "no usage line: $(cat pack.err)"
echo "bad --compression: usage error"
