#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Container images with examples/containers (crontab, cairn-image-backup): `docker save` (a
# stand-in on PATH that writes generated Docker 25+ archives, as no container engine runs
# here) into cairn-snap --tar -. The crontab's job saves two images that share a 6 MiB base
# layer: the second set stores only its own layer's bytes (bytes_new), and cairn-restore --tar
# gives back a tar whose entries (names, types, modes, owners, sizes, mtimes, content hashes)
# equal the input's. A docker save that fails half way, or at once, commits nothing.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_cron.sh
. "$CAIRN_CASE_DIR/_cron.sh"
examples=$CAIRN_SOURCE_DIR/examples/containers
images_py=$CAIRN_CASE_DIR/_images.py

make_repo
mkdir -p images fakebin
read -r _ base _ app _ worker < <("$CAIRN_PY" "$images_py" make "$PWD/images")
cat >fakebin/docker <<EOF
#!/bin/bash
# docker save IMAGE: the generated archive for IMAGE (app:1 or worker:1)
[ "\$1" = save ] || exit 2
n=\${2##*/}
f="$PWD/images/\${n%%:*}.tar"
[ -f "\$f" ] || { echo "Error: No such image: \$2" >&2; exit 1; }
if [ -n "\${FAIL_AFTER:-}" ]; then head -c "\$FAIL_AFTER" "\$f"; exit 1; fi
cat "\$f"
EOF
chmod +x fakebin/docker
export PATH=$PWD/fakebin:$PATH

# the crontab's nightly job, as cron runs it (its two images share the base layer)
printf 'CAIRN_REPO=%s\nCAIRN_CATALOG=%s\nCAIRN_PASSPHRASE_FILE=%s\n' "$CAIRN_REPO" "$CAIRN_CATALOG" \
  "$CAIRN_PASSPHRASE_FILE" >images.env
cron_load "$examples/crontab" -e "s|PATH=/usr/local/bin:|PATH=$PWD/fakebin:$examples:${CAIRN_BIN:-/usr/local/bin}:/usr/local/bin:|"
cron_env+=(CAIRN_ENV_FILE="$PWD/images.env")   # stands in for /etc/cairn/images.env
cron_job cairn-image-backup
assert_eq "1 1" "$(set_ids image-team-app | wc -l) $(set_ids image-team-worker | wc -l)" "sets of image-team-app and -worker"
new_app=$(ls_field "$(set_ids image-team-app)" bytes_new)
new_worker=$(ls_field "$(set_ids image-team-worker)" bytes_new)
[ "$new_app" -ge $((base + app)) ] || die "the first image stored $new_app new bytes, less than its layers"
# the worker image's own layer, its small JSON files and the manifest; not the base again
[ "$new_worker" -lt $((worker + 256 * 1024)) ] \
  || die "the second image stored $new_worker new bytes: the shared $base-byte base layer was stored again?"
echo "crontab: app stored $new_app new bytes; worker (same base layer) stored $new_worker new bytes"
echo "shared base layer stored once"

cairn-restore image-team-worker@latest --tar >restored.tar
"$CAIRN_PY" "$images_py" entries images/worker.tar >in.entries
"$CAIRN_PY" "$images_py" entries restored.tar >out.entries
diff -u in.entries out.entries >&2 || die "the restored tar's entries differ from docker save's"
echo "cairn-restore --tar: $(wc -l <in.entries) entries equal the input's (name, type, mode, owner, size, mtime, sha256)"

sets_before=$(set_ids | wc -l)
expect_exit 1 env FAIL_AFTER=3000000 "$examples/cairn-image-backup" app:prod
expect_stderr "^cairn-image-backup: 'app:prod' was not stored \\(exit [0-9]+\\): nothing committed$"
expect_exit 1 "$examples/cairn-image-backup" nosuch:1
expect_stderr "^cairn-image-backup: 'nosuch:1' was not stored \\(exit [0-9]+\\): nothing committed$"
assert_eq "$sets_before" "$(set_ids | wc -l)" "number of sets after two failed saves"
echo "docker save failing (half way, and at once): nothing committed"
