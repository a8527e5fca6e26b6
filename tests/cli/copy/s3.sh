#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A copy for a second provider under another key: sets copied into a local repository of other
# keys are pushed to S3 (scripts/services/s3.sh) with cairn-push --all; from the destination
# alone (restore --from, verify --from --read-data) they restore identical. (The target of
# cairn copy is a local repository; this is its remote path.) Skipped unless
# CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=../push/_remote.sh
. "$CAIRN_CASE_DIR/../push/_remote.sh"
# shellcheck source=_common.sh
. "$CAIRN_CASE_DIR/_common.sh"
need_services

start_service s3 19485
export CAIRN_S3_ENDPOINT=$S3_ENDPOINT
url=s3://$S3_BUCKET/copy-test
copy_repos
mkdir src && gen_file src/a.bin 1M 1 && gen_text src/b.txt 3000
backup src --source app >/dev/null
cairn copy --all >copy.out
on_target cairn-push --all "$url" >/dev/null
echo "copied and pushed"
t=$(cut -d' ' -f2 copy.out)
on_target cairn-verify --from "$url" --read-data >/dev/null
on_target cairn-restore --from "$url" "$t" --to "$PWD/out"
compare_trees --no-dir-mtime src out
echo "the destination verifies and restores identical"
