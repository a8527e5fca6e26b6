#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-restore --keep-going --from an SFTP destination (scripts/services/sftp.sh) holding
# one damaged pack (a flipped byte) and missing another, with the local repository and
# catalog moved away: every other file is restored byte-identical, each damaged file named,
# exit 4; --tar --keep-going gives a valid stream without them. Skipped unless
# CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=../push/_remote.sh
. "$CAIRN_SOURCE_DIR/tests/cli/push/_remote.sh"
# shellcheck source=_damaged.sh
. "$CAIRN_CASE_DIR/_damaged.sh"
need_services

start_service sftp 2420  # exports CAIRN_SSH_KEY and CAIRN_SSH_HOST_SHA256 too
url=$SFTP_URL/keep-going
make_damaged_repo
cairn-push --all "$url" >/dev/null
# The server's files are on this host: damage them where the SFTP server keeps them.
damage_packs "$SFTP_ROOT/keep-going"
mv "$CAIRN_REPO" repo.away
mv "$CAIRN_CATALOG" catalog.away

expect_exit 4 cairn-restore app@latest --from "$url" --to "$PWD/out" --keep-going
expect_stderr '^cairn-restore: warning: b\.bin: .*does not authenticate'
expect_stderr '^cairn-restore: warning: c\.bin: '
[ "$(grep -c ': warning: ' last.stderr)" = 2 ] || die "not one line per damaged file: $(cat last.stderr)"
check_intact out
echo "--from sftp --keep-going --to: the intact files, the damaged ones named, exit 4"

set +e
cairn-restore app@latest --from "$url" --tar --keep-going 2>last.stderr >out.tar
status=$?
set -e
assert_eq 4 "$status" "exit status of --tar --keep-going --from"
mkdir untar
tar -x -f out.tar -C untar || die "tar -x refused the stream of --tar --keep-going --from"
check_intact untar
echo "--from sftp --keep-going --tar: a valid stream without the damaged members, exit 4"
