#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# One bad object cannot take the repository hostage (issue 12, item 4): a host with any key
# (index_key is in write-only keys too) writes a garbage pack and an index file that lists
# every chunk of the repository in it, named to sort before the real index files so its
# entries are the copies found first (tests/tools/forge.cpp plant-copy, straight into
# storage). Every set still restores, byte for byte, because a copy that fails is followed by
# the next one the indexes list; cairn-verify --read-data reads the planted pack too and names
# it (exit 4).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
command -v cairn-test-tool >/dev/null || skip "cairn-test-tool is not built"

make_repo
mkdir -p src
gen_file src/a.bin 3M 1
gen_text src/b.txt 2000
set=$(backup src --source app)
(umask 077 && printf 'writer\n' >wo.pass)
cairn key export --write-only --new-passphrase-file wo.pass wo.key 2>/dev/null
garbage=$(cairn-test-tool plant-copy "$CAIRN_REPO" wo.key wo.pass)
[[ $garbage =~ ^[0-9a-f]{64}$ ]] || die "the planter printed '$garbage'"
rm -rf out
cairn-restore "$set" --to "$PWD/out" 2>restore.err || { cat restore.err >&2; die "the planted copy made the set unrestorable"; }
diff -r src out >/dev/null || die "the restore differs"
cairn-restore "$set" --stdout a.bin | cmp - src/a.bin
echo "the set restores past the planted copies"
rc=0
cairn-verify --read-data >verify.out 2>verify.err || rc=$?
[ "$rc" = 4 ] || { cat verify.out verify.err >&2; die "verify --read-data exited $rc, expected 4"; }
grep -q "$garbage" verify.out || { cat verify.out >&2; die "verify does not name the garbage pack"; }
echo "verify --read-data: exit 4, names the planted pack"
