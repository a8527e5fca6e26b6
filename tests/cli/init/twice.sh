#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn init: a second init of the same repository fails and changes nothing; init without a
# passphrase source is a usage error; a wrong passphrase is refused by every tool (12); a
# path without a repository is reported as such (10).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir src
gen_text src/a.txt 10
backup src --source init >/dev/null
before=$(repo_fingerprint)
[ -n "$before" ] || die "the repository holds no files"

expect_exit 1 cairn init --repo "$CAIRN_REPO" --passphrase-file "$CAIRN_PASSPHRASE_FILE"
grep -q '^cairn: error: ' last.stderr || { cat last.stderr >&2; die "no error line"; }
(umask 077 && printf 'another passphrase\n' >other)
expect_exit 1 cairn init --repo "$CAIRN_REPO" --passphrase-file other
expect_stderr "^cairn: error: .* already exists"
assert_eq "$before" "$(repo_fingerprint)" "repository fingerprint after a second init"
cairn-restore latest --to "$PWD/out" 2>/dev/null
compare_trees src out
echo "second init refused, repository unchanged"

# no passphrase source at all
expect_exit 2 env -u CAIRN_PASSPHRASE_FILE -u CAIRN_PASSPHRASE_FD cairn init --repo "$PWD/r2"
grep -qi 'passphrase' last.stderr || { cat last.stderr >&2; die "the usage error does not mention the passphrase"; }
[ ! -e r2 ] || [ -z "$(ls -A r2)" ] || die "init without a passphrase left files in r2"
# an empty passphrase file is no passphrase either
: >empty-pass
expect_exit 2 cairn init --repo "$PWD/r3" --passphrase-file empty-pass
expect_stderr "^cairn: error: the passphrase from 'empty-pass' is empty$"
# the passphrase from a file descriptor works
CAIRN_CATALOG=$PWD/r4.db CAIRN_PASSPHRASE_FD=3 env -u CAIRN_PASSPHRASE_FILE cairn init --repo "$PWD/r4" 3<other >/dev/null 2>&1 || die "init with CAIRN_PASSPHRASE_FD failed"
CAIRN_REPO=$PWD/r4 CAIRN_PASSPHRASE_FILE=other CAIRN_CATALOG=$PWD/r4.db cairn ls >/dev/null 2>&1 \
  || die "the repository made with CAIRN_PASSPHRASE_FD does not open with the same passphrase"
echo "init needs a passphrase"

# a wrong passphrase, for every tool that opens the repository
(umask 077 && printf 'wrong\n' >wrong)
export CAIRN_PASSPHRASE_FILE=$PWD/wrong
cairn-snap src --source init >stream 2>/dev/null
for cmd in "cairn ls" "cairn key list" "cairn-verify" "cairn-restore latest --to $PWD/never" "cairn-pack" "cairn-diff"; do
  # shellcheck disable=SC2086
  expect_exit 12 $cmd <stream
  grep -q '^cairn[a-z-]*: error: ' last.stderr || { cat last.stderr >&2; die "$cmd: no error line"; }
done
[ ! -e never ] || die "a restore with a wrong passphrase created its target"
assert_eq "$before" "$(repo_fingerprint)" "repository fingerprint after wrong passphrases"
echo "wrong passphrase: exit 12 everywhere"

# no repository there: exit 10
export CAIRN_PASSPHRASE_FILE=$PWD/other
mkdir empty-dir
for r in "$PWD/empty-dir" "$PWD/does/not/exist"; do
  export CAIRN_REPO=$r
  for cmd in "cairn ls" "cairn-verify" "cairn-restore latest --to $PWD/never" "cairn-pack" "cairn-diff"; do
    # shellcheck disable=SC2086
    expect_exit 10 $cmd <stream
    grep -q '^cairn[a-z-]*: error: ' last.stderr || { cat last.stderr >&2; die "$cmd: no error line"; }
  done
done
[ -z "$(ls -A empty-dir)" ] || die "a tool wrote into a directory that holds no repository"
[ ! -e does ] || die "a tool created the missing repository path"
echo "no repository: exit 10"
