#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Parity at a destination (SFTP, scripts/services/sftp.sh): cairn-push carries the parity
# objects cairn-pack printed; with a pack deleted at the destination, verify --from rebuilds
# it there from the pushed parity, and restore --from gives back the files. Skipped unless
# CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=../push/_remote.sh
. "$CAIRN_SOURCE_DIR/tests/cli/push/_remote.sh"
need_services

start_service sftp 2416
export CAIRN_SSH_KEY=$SFTP_KEY CAIRN_SSH_HOST_SHA256=$SFTP_HOST_SHA256
url=$SFTP_URL/parity-test
dir=${url#sftp://*/}
dir=/${dir#/}
make_repo "$PWD/repo" --parity 2+1 --pack-size 256K --chunk-min 64K --chunk-avg 128K --chunk-max 256K
mkdir app
gen_file app/a.bin 600K 5
set=$(backup app --source app)
expect_exit 0 cairn-push "$url" <pack.out
par=$(grep -m1 '^+parity/' pack.out | cut -c2-)
[ -f "$dir/$par" ] || die "the destination ($dir) does not hold $par"
pack=$(grep -m1 '^+packs/' pack.out | cut -c2-)
rm "$dir/$pack"
expect_exit 0 cairn-verify --from "$url" --read-data
grep -q "^note: repaired pack $(basename "$pack") from parity object .* (it was missing)$" last.stdout \
  || { cat last.stdout >&2; die "verify --from did not repair the deleted pack"; }
cmp "$dir/$pack" "repo/$pack" || die "the rebuilt pack differs"
rm "$dir/$pack"
expect_exit 0 cairn-restore --from "$url" "$set" --to "$PWD/out"
cmp app/a.bin out/a.bin || die "restore --from gave another file"
echo "parity pushed over SFTP; verify --from rebuilt a deleted pack; restore --from through parity"
