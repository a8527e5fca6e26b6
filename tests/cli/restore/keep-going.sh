#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-restore --keep-going with one pack damaged (a flipped byte) and one deleted: every
# other file is restored byte-identical, each damaged file is named on stderr (one line: its
# path and why), none is left under its name, exit 4. The same with --tar (the damaged files'
# members are left out and the stream stays valid: tar -x succeeds), with --from a local
# destination, and into a private target (where small files are made under their final
# name). Without --keep-going the restore stops at the first damaged file (exit 4).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_damaged.sh
. "$CAIRN_CASE_DIR/_damaged.sh"

make_damaged_repo
cairn-push --all "$PWD/dest" >/dev/null
damage_packs "$CAIRN_REPO"

names_damage() {  # names_damage: last.stderr names b.bin (does not authenticate) and c.bin (gone)
  expect_stderr '^cairn-restore: warning: b\.bin: .*does not authenticate'
  expect_stderr '^cairn-restore: warning: c\.bin: .*No such file or directory'
  [ "$(grep -c ': warning: ' last.stderr)" = 2 ] || die "not one line per damaged file: $(cat last.stderr)"
}

expect_exit 4 cairn-restore app@latest --to "$PWD/out" --keep-going
names_damage
expect_stderr '^cairn-restore: error: 2 of the files could not be restored because of damaged data'
check_intact out
echo "--to --keep-going: the intact files, the damaged ones named, exit 4"

# A private target (only the restorer may write it): small files are created under their
# final name once read whole; a damaged one is still never made.
mkdir -m 700 private
expect_exit 4 cairn-restore app@latest --to "$PWD/private" --keep-going
names_damage
check_intact private
echo "--to a private target --keep-going: the same"

set +e
cairn-restore app@latest --tar --keep-going 2>last.stderr >out.tar
status=$?
set -e
assert_eq 4 "$status" "exit status of --tar --keep-going"
names_damage
expect_stderr '^cairn-restore: error: 2 of the files were left out of the tar stream because of damaged data'
mkdir untar
tar -x -f out.tar -C untar || die "tar -x refused the stream of --tar --keep-going"
check_intact untar
echo "--tar --keep-going: a valid stream without the damaged members, exit 4"

expect_exit 4 cairn-restore app@latest --to "$PWD/stop"
[ "$(grep -c ': warning: ' last.stderr)" = 1 ] || die "without --keep-going, not one damaged file named: $(cat last.stderr)"
echo "without --keep-going: stops at the first damaged file, exit 4"

# A destination holding the same damage, the local repository and catalog moved away.
damage_packs "$PWD/dest"
mv "$CAIRN_REPO" repo.away
mv "$CAIRN_CATALOG" catalog.away
expect_exit 4 cairn-restore app@latest --from "$PWD/dest" --to "$PWD/from" --keep-going
expect_stderr '^cairn-restore: error: 2 of the files could not be restored because of damaged data'
names_damage
check_intact from
echo "--from DEST --keep-going: the intact files, the damaged ones named, exit 4"
