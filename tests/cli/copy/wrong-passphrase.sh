#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A wrong target passphrase is exit 12 with one line naming it, and nothing is written: the
# target's files and its catalog are as before. A missing target passphrase
# the target being the source itself and a remote target are exit 2.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

copy_repos
mkdir src && gen_file src/a.bin 200K 1
backup src --source app >/dev/null
before=$(repo_fingerprint "$CAIRN_TO_REPO")
catalog_before=$(sha256sum "$CAIRN_TO_CATALOG"*)
(umask 077 && printf 'not the passphrase\n' >wrong-pass)
expect_exit 12 cairn copy --all --to-passphrase-file wrong-pass
expect_stderr 'passphrase'
assert_eq 1 "$(wc -l <last.stderr)" "lines on stderr"
[ ! -s last.stdout ] || die "something was printed: $(cat last.stdout)"
assert_eq "$before" "$(repo_fingerprint "$CAIRN_TO_REPO")" "the target after a wrong passphrase"
assert_eq "$catalog_before" "$(sha256sum "$CAIRN_TO_CATALOG"*)" "the target's catalog after a wrong passphrase"
echo "wrong passphrase: exit 12, nothing written"

expect_exit 2 env -u CAIRN_TO_PASSPHRASE_FILE cairn copy --all
expect_stderr 'no passphrase for the target: give --to-passphrase-file FILE or CAIRN_TO_PASSPHRASE_FILE'
expect_exit 2 cairn copy --all --to "$CAIRN_REPO" --to-passphrase-file "$CAIRN_PASSPHRASE_FILE"
expect_stderr 'the source and the target are the same repository'
expect_exit 2 cairn copy
expect_stderr 'name the sets to copy, or give --all'
expect_exit 2 cairn copy --all --to s3://bucket/x
expect_stderr "the target must be a local repository; copy into one and send it with 'cairn-push --all s3://bucket/x'"
assert_eq "$before" "$(repo_fingerprint "$CAIRN_TO_REPO")" "the target after the refusals"
echo "usage errors: exit 2"
