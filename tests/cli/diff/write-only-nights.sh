#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The documented write-only nightly job (cairn(7) EXAMPLES, examples/cairn-backup) for three
# nights: cairn-snap | cairn-diff | cairn-pack with only a write-only key. cairn-diff cannot
# read the base set from the repository; it reads it from this host's files cache
# (cairn-catalog(5)), so nights 2 and 3 read only the files that changed. Every night's set
# restores exactly with the full key.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_write_only.sh
. "$(dirname "${BASH_SOURCE[0]}")/_write_only.sh"

mkdir -p src/sub
gen_file src/a.bin 1M 1
gen_file src/sub/b.bin 512K 2
gen_text src/t.txt 200

# the job, as cairn(7) shows it, with only the write-only key
job() { set -o pipefail; cairn-snap "$PWD/src" --source app | cairn-diff | cairn-pack; }
night() {
  as_writer job >pack.out 2>night.err || { cat night.err >&2; die "night $1: the job failed"; }
  ! grep -q . night.err || { cat night.err >&2; die "night $1: the job wrote to stderr"; }
  head -n 1 pack.out
}
check() { restores_as_src "$2" "$PWD/back$1"; }  # check NIGHT SET

# night 1: an edit, and the first set (no base: everything is read)
printf 'edited on night 1\n' >>src/t.txt
s1=$(night 1)
check 1 "$s1"
assert_eq $((1024 * 1024 + 512 * 1024 + $(stat -c %s src/t.txt))) "$(read_of "$s1")" "night 1 bytes read"
[ -d "$CAIRN_CATALOG.files" ] || die "no files cache directory next to the catalog"
assert_eq 700 "$(stat -c %a "$CAIRN_CATALOG.files")" "mode of the files cache directory"
for f in "$CAIRN_CATALOG.files"/*; do assert_eq 600 "$(stat -c %a "$f")" "mode of $f"; done
echo "night 1: full read, restores"

# night 2: a new file; only it is read
gen_file src/sub/new.bin 256K 3
s2=$(night 2)
check 2 "$s2"
assert_eq $((256 * 1024)) "$(read_of "$s2")" "night 2 bytes read (the new file only)"
echo "night 2: only the new file is read, restores"

# night 3: a file deleted and one edited; only the edited one is read
rm src/sub/b.bin
printf 'edited on night 3\n' >>src/t.txt
s3=$(night 3)
check 3 "$s3"
assert_eq "$(stat -c %s src/t.txt)" "$(read_of "$s3")" "night 3 bytes read (the edited file only)"
echo "night 3: only the edited file is read, restores"

# the earlier nights still restore as they were (night 1 had sub/b.bin)
as_admin cairn-restore "$s1" --stdout sub/b.bin 2>/dev/null | cmp - back1/sub/b.bin
as_admin cairn-verify >/dev/null 2>&1 || die "cairn-verify fails"
echo "every night's set verifies"
