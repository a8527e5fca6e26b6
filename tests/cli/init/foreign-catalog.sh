#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn init with CAIRN_CATALOG naming the catalog of another repository fails with one
# error line naming the catalog, and leaves no half-made repository behind: the same init
# with a catalog of its own then succeeds.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo "$PWD/first"
expect_exit 1 cairn init --repo "$PWD/second" --passphrase-file "$CAIRN_PASSPHRASE_FILE"
grep -q "^cairn: error: .*$CAIRN_CATALOG" last.stderr || { cat last.stderr >&2; die "the error does not name the catalog"; }
[ ! -e second ] || [ -z "$(ls -A second)" ] || {
  find second >&2
  die "a failed init left a repository behind"
}
echo "refused, nothing left behind"

CAIRN_CATALOG=$PWD/second.db cairn init --repo "$PWD/second" --passphrase-file "$CAIRN_PASSPHRASE_FILE" >/dev/null 2>&1 \
  || die "init with a catalog of its own failed after the refused one"
CAIRN_REPO=$PWD/second CAIRN_CATALOG=$PWD/second.db cairn ls >/dev/null 2>&1 || die "the new repository does not open"
cairn ls >/dev/null 2>&1 || die "the first repository does not open any more"
echo "init with its own catalog works"
