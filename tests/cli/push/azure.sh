#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-push to Azure Blob Storage (scripts/services/azure.sh: Azurite on a port of its own,
# SharedKey checked): push, then without the local repository and catalog restore --from,
# verify --from and catalog rebuild --repo; --all resumes. Refusals: a wrong account key
# (exit 12), a missing container (exit 13), each one stderr line naming the destination,
# nothing recorded as pushed. Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"
need_services

start_service azure 10410
export CAIRN_AZURE_ENDPOINT=$AZURE_BLOB_ENDPOINT
unset AZURE_STORAGE_CONNECTION_STRING
url=azure://$AZURE_STORAGE_ACCOUNT/$AZURE_CONTAINER/push-test
remote_roundtrip "$url"

wrong=$(printf 'not the account key at all, but 64 bytes long...................' | base64 -w0)
expect_refused 12 "$url/x" env AZURE_STORAGE_KEY="$wrong" cairn-push --all "$url/x"
grep -q 'HTTP 403' last.stderr || die "a wrong key: $(cat last.stderr)"
echo "wrong key: exit 12, one line"
expect_refused 13 "azure://$AZURE_STORAGE_ACCOUNT/no-such-container/p" \
  cairn-push --all "azure://$AZURE_STORAGE_ACCOUNT/no-such-container/p"
grep -q 'ContainerNotFound' last.stderr || die "a missing container: $(cat last.stderr)"
echo "missing container: exit 13, one line"
