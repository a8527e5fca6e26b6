# shellcheck shell=bash
# tests/cli/examples/_common.sh: what the example cases share (sourced after lib.sh).
examples="$CAIRN_SOURCE_DIR/examples"
examples_parser="$(dirname "${BASH_SOURCE[0]}")/_examples.py"

# object_store_url NAME: the real S3 server when scripts/test started one, else a directory
# (a destination kind of its own; tests/cli/push covers every kind against real servers).
object_store_url() {
  if [ -n "${CAIRN_TEST_S3_URL:-}" ]; then
    echo "$CAIRN_TEST_S3_URL/examples-$1-$$-$RANDOM"
  else
    echo "$PWD/objstore"
  fi
}

# scratch_paths SRC OBJSTORE: stdin to stdout with the examples' production paths pointed at
# scratch space under $PWD.
scratch_paths() {
  sed -e "s|s3://dr-east/app|$2|g" \
      -e "s|/mnt/nas/cairn|$PWD/nas|g" \
      -e "s|/srv/app|$1|g" \
      -e "s|/var/lib/prometheus/node-exporter/cairn.prom|$PWD/cairn.prom|g" \
      -e "s|/usr/local/share/doc/cairn/examples|$examples|g" \
      -e "s|/usr/local/bin/cairn-backup|$examples/cairn-backup|g" \
      -e "s|/usr/local/bin/cairn|cairn|g" \
      -e "s|/var/backups/cairn|${CAIRN_REPO:-$PWD/repo}|g" \
      -e "s|/etc/cairn/policy.toml|$examples/policy.toml|g" \
      -e "s|/etc/cairn/passphrase|${CAIRN_PASSPHRASE_FILE:-$PWD/passphrase}|g" \
      -e "s|/etc/cairn/cairn.env|$PWD/cairn.env|g" \
      -e "s|/var/lib/cairn/|$PWD/state/|g"
}
