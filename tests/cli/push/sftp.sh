#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-push over SFTP (scripts/services/sftp.sh: a private sshd on a port of its own, host
# key pinned): push, restore --from alone, --all resumes. Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"
need_services

export CAIRN_SFTP_PORT=2410 CAIRN_SVC_ROOT=$PWD/services
svc=$CAIRN_SOURCE_DIR/scripts/services/sftp.sh
e=$(bash "$svc" start 2>svc.err) || { cat svc.err >&2; die "the SFTP service did not start"; }
trap 'bash "$svc" stop >/dev/null 2>&1 || true' EXIT
eval "$e"
export CAIRN_SSH_KEY=$SFTP_KEY CAIRN_SSH_HOST_SHA256=$SFTP_HOST_SHA256
remote_roundtrip "$SFTP_URL/push-test"
