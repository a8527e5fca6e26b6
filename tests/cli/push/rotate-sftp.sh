#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Key rotation and an SFTP destination: the rotation record goes up by cairn-push (from cairn
# key rotate's "+holds/..." line, with the new key slot), a set sealed under the new generation
# follows; then, without the local repository, both sets restore from the destination and
# verify --from --read-data passes. Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"
need_services

start_service sftp 2411
export CAIRN_SSH_KEY=$SFTP_KEY CAIRN_SSH_HOST_SHA256=$SFTP_HOST_SHA256
url=$SFTP_URL/rotate-test
make_repo
mkdir -p src
gen_file src/a.bin 300K 1
(set -o pipefail && cairn-snap src --source app | cairn-diff | cairn-pack | cairn-push "$url" >push1.out) \
  || die "the first push failed"
set0=$(sed -n 's|^+sets/\([0-9a-f]*\) .*|\1|p' push1.out)
cp -a src src0
(set -o pipefail && cairn key rotate | cairn-push "$url" >rot.out) || die "pushing the rotation failed"
grep -qE '^\+holds/[0-9a-f]{64}' rot.out || die "the rotation record was not pushed: $(cat rot.out)"
gen_file src/b.bin 200K 2
(set -o pipefail && cairn-snap src --source app | cairn-diff | cairn-pack | cairn-push "$url" >/dev/null) \
  || die "the second push failed"
echo "pushed a set, the rotation, a set"

mv "$CAIRN_REPO" repo.away
mv "$CAIRN_CATALOG" catalog.away
cairn-restore app@latest --from "$url" --to "$PWD/out" 2>/dev/null
compare_trees src out
cairn-restore "$set0" --from "$url" --to "$PWD/out0" 2>/dev/null
compare_trees src0 out0
cairn-verify --from "$url" --read-data >verify.out 2>&1 || { cat verify.out >&2; die "verify --from --read-data failed"; }
grep -q '^checked 2 sets, 2 packs .*: 0 damaged' verify.out || die "verify --from --read-data: $(cat verify.out)"
echo "restored and verified from the destination"
