#!/usr/bin/env bash
# examples/kubernetes: the CronJob manifest is a valid batch/v1 CronJob (schedule, Forbid,
# a deadline, one container, every mount backed by a volume, no secret written inline), and
# its container's command runs the same pipeline here with the manifest's environment and
# its mounts (/data, /repo, /secrets) pointed at scratch space; the set restores. The
# Containerfile builds with the options the project really has.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

"$CAIRN_PY" "$examples_parser" cronjob "$examples/kubernetes/cronjob.yaml" >job.lines
echo "manifest: a valid CronJob"

mkdir -p data repo secrets
gen_file data/db.bin 1M 5
gen_text data/settings.conf 30
printf 'k8s example passphrase\n' >secrets/passphrase
chmod 600 secrets/passphrase
to_scratch() {
  sed -e "s|/repo/|$PWD/repo/|g" -e "s|/secrets/cairn/|$PWD/secrets/|g" -e "s| /data\$| $PWD/data|" \
    | scratch_paths "$PWD/data" "$PWD/objstore"
}
env_line=$(sed -n 's/^ENV //p' job.lines | to_scratch)
cmd_line=$(sed -n 's/^CMD //p' job.lines | to_scratch)
(
  eval "export $env_line"
  cairn init --passphrase-file "$CAIRN_PASSPHRASE_FILE" >/dev/null 2>&1
  export PATH="$examples:$PATH"
  eval "$cmd_line" >job.out 2>job.err || { cat job.err >&2; die "the job's command failed"; }
  cairn-restore app@latest --to "$PWD/out" 2>/dev/null
)
grep -q committed job.out || die "the job committed no set"
compare_trees data out
cairn-restore app@latest --from "$PWD/objstore" --to "$PWD/out2" --passphrase-file secrets/passphrase \
  --catalog "$PWD/scratch.db" 2>/dev/null
compare_trees data out2
echo "job: the container's command backs up /data and copies it off"

cf="$examples/kubernetes/Containerfile"
grep -q 'install -m 0755 /src/examples/cairn-backup' "$cf" || die "the image lacks cairn-backup"
for opt in $(grep -o -- '-DCAIRN_[A-Z_]*' "$cf" | sed 's/^-D//' | sort -u); do
  grep -q "option($opt " "$CAIRN_SOURCE_DIR/CMakeLists.txt" || die "Containerfile sets unknown option $opt"
done
for pkg in $(sed -n '/^FROM debian:12 AS build/,/^FROM /p' "$cf" | grep -o 'lib[a-z0-9+.-]*-dev'); do
  grep -q -- "$pkg" "$CAIRN_SOURCE_DIR/scripts/lib/packages.sh" \
    || die "Containerfile installs $pkg, which the build does not use"
done
echo "Containerfile: options and packages match the build"
