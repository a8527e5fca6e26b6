#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-push over SFTP (scripts/services/sftp.sh: a private sshd on a port of its own, host
# key pinned): push, then without the local repository and catalog restore --from, verify
# --from and catalog rebuild --repo; --all resumes. Refusals: a host key that is unknown or
# changed (exit 12), an unreachable server (exit 13), each one stderr line naming the
# destination, nothing recorded as pushed. Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"
need_services

start_service sftp 2410
export CAIRN_SSH_KEY=$SFTP_KEY CAIRN_SSH_HOST_SHA256=$SFTP_HOST_SHA256
url=$SFTP_URL/push-test
remote_roundtrip "$url"

: >empty_known_hosts
expect_refused 12 "$url/x" env CAIRN_SSH_HOST_SHA256= cairn-push --all --known-hosts empty_known_hosts "$url/x"
echo "unknown host key: exit 12, one line"
ssh-keygen -q -t ed25519 -N '' -f other_host </dev/null
other=$(ssh-keygen -l -E sha256 -f other_host.pub | awk '{print $2}' | sed 's/^SHA256://')
expect_refused 12 "$url/x" env CAIRN_SSH_HOST_SHA256="$other" cairn-push --all "$url/x"
grep -q 'does not match the pinned one' last.stderr || die "a changed host key: $(cat last.stderr)"
printf '[127.0.0.1]:%s %s\n' "$SFTP_PORT" "$(cut -d' ' -f1,2 other_host.pub)" >changed_known_hosts
expect_refused 12 "$url/x" env CAIRN_SSH_HOST_SHA256= cairn-push --all --known-hosts changed_known_hosts "$url/x"
echo "changed host key: exit 12, one line"
expect_refused 13 sftp://127.0.0.1:1/tmp/x cairn-push --all sftp://127.0.0.1:1/tmp/x
echo "unreachable server: exit 13, one line"
