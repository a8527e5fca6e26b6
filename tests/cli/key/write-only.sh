#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A write-only key file (cairn key export --write-only): it adds sets and deduplicates against
# what is stored, but cannot restore (exit 12, an error saying write-only); the full key
# restores the sets it made.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
full_pass=$CAIRN_PASSPHRASE_FILE
mkdir -p src/d
gen_file src/d/a.bin 3M 1
gen_file src/d/b.bin 2M 2
gen_text src/t.txt 500
first=$(backup src --source wo)

(umask 077 && printf 'write only passphrase\n' >p2)
cairn key export --write-only --new-passphrase-file p2 wo.key 2>/dev/null
[ -s wo.key ] || die "no key file written"
assert_eq 600 "$(stat -c %a wo.key)" "mode of the key file"
echo "exported"

# the write-only host: only the key file and its passphrase. It cannot read the previous
# set's manifest, so no cairn-diff: snap | pack, deduplicating by chunk id.
wo_backup() {
  (set -o pipefail && cairn-snap src --source wo | cairn-pack >pack.out 2>pack.err) \
    || { cat pack.err >&2; die "snap | pack with the write-only key failed"; }
  head -n 1 pack.out
}
export CAIRN_KEY_FILE=$PWD/wo.key CAIRN_PASSPHRASE_FILE=$PWD/p2
repo_before=$(du -sb --apparent-size "$CAIRN_REPO" | cut -f1)
same=$(wo_backup)
repo_after=$(du -sb --apparent-size "$CAIRN_REPO" | cut -f1)
[ $((repo_after - repo_before)) -lt $((512 * 1024)) ] \
  || die "the same tree again stored $((repo_after - repo_before)) bytes with the write-only key (no dedup)"
printf 'changed\n' >>src/t.txt
gen_file src/new.bin 1M 3
changed=$(wo_backup)
grow=$(($(du -sb --apparent-size "$CAIRN_REPO" | cut -f1) - repo_after))
[ "$grow" -ge $((1024 * 1024)) ] || die "a new 1 MiB file stored only $grow bytes"
[ "$grow" -lt $((3 * 1024 * 1024)) ] || die "a 1 MiB change stored $grow bytes"
# stdin snapshots too
head -c 1M /dev/urandom >dump
cairn-snap --stdin dump --source wo-db <dump | cairn-pack >/dev/null 2>&1
echo "write-only key adds sets and deduplicates"

# but cannot read
for args in "$first --to $PWD/out1" "$changed --to $PWD/out2" "latest --tar" "wo@latest --stdout t.txt"; do
  rc=0
  # shellcheck disable=SC2086
  cairn-restore $args >r.out 2>r.err || rc=$?
  [ "$rc" = 12 ] || { cat r.err >&2; die "restore $args with the write-only key exited $rc, expected 12"; }
  grep -qi 'write-only' r.err || { cat r.err >&2; die "restore $args: the error does not say write-only"; }
  [ ! -s r.out ] || die "restore $args wrote to stdout with a write-only key"
done
[ ! -e out1 ] || [ -z "$(ls -A out1)" ] || die "a write-only restore created files"
rc=0
cairn-diff "$first" "$changed" >r.out 2>r.err || rc=$?
[ "$rc" = 12 ] || { cat r.err >&2; die "cairn-diff of two sets with the write-only key exited $rc, expected 12"; }
rc=0
cairn key export --new-passphrase-file p2 stolen.key >r.out 2>r.err || rc=$?
[ "$rc" = 12 ] || { cat r.err >&2; die "exporting a full key from a write-only key exited $rc, expected 12"; }
[ ! -e stolen.key ] || die "a write-only key exported a key file"
echo "write-only key cannot restore"

# the full passphrase restores what the write-only key wrote
unset CAIRN_KEY_FILE
export CAIRN_PASSPHRASE_FILE=$full_pass
cairn-restore "$changed" --to "$PWD/back" 2>/dev/null
compare_trees src back
cairn-restore "$same" --stdout d/a.bin 2>/dev/null | cmp - src/d/a.bin
cairn-restore wo-db@latest --stdout dump 2>/dev/null | cmp - dump
cairn-verify >/dev/null 2>&1 || die "cairn-verify fails"
echo "full key restores the write-only sets"
