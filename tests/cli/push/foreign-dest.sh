#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 13, a destination protects itself: cairn-push into the directory of another cairn
# repository (another repository id in its config; or no config but another repository's key
# slots) is refused with exit 2, naming both ids, and writes nothing: that repository still
# verifies and restores with its own passphrase. cairn-push with a terminal as stdin and no
# --all is a usage error; an empty pipe is nothing to do (exit 0). A place that is not a copy
# yet names cairn-push --all, not cairn init.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

state=$HOME/.local/state/cairn
mkdir -p "$state" a b
gen_file a/one.bin 200K 1
gen_file b/two.bin 200K 2
# Repository B, with its own passphrase and catalog.
b_catalog=$PWD/catalog-b.db
export CAIRN_CATALOG=$b_catalog
make_repo "$PWD/repo-b"
mv "$CAIRN_PASSPHRASE_FILE" "$PWD/pass-b"
CAIRN_PASSPHRASE_FILE=$PWD/pass-b backup b --source b >/dev/null
# Repository A (the one that pushes).
export CAIRN_CATALOG=$PWD/catalog-a.db
make_repo "$PWD/repo-a"
backup a --source a >/dev/null
id_of() { "$CAIRN_PY" -c '
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<I", raw[8:12])[0]
print(json.loads(raw[12:12 + n])["repo_id"])' "$1/config"; }
a_id=$(id_of repo-a)
b_id=$(id_of repo-b)
snapshot() { (cd "$1" && find . -printf '%p %y %s %T@\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); }
snapshot repo-b >before.txt

expect_exit 2 cairn-push --all "$PWD/repo-b"
expect_stderr "^cairn-push: error: '$PWD/repo-b' holds another cairn repository \($b_id\), not a copy of this one \($a_id\): nothing was pushed"
(set -o pipefail && cairn-snap a --source a | cairn-diff | cairn-pack) >pack.out
expect_exit 2 cairn-push "file://$PWD/repo-b" <pack.out
expect_stderr "holds another cairn repository \($b_id\).*\($a_id\)"
snapshot repo-b >after.txt
diff -u before.txt after.txt >&2 || die "the refused pushes changed repository B"
echo "push --all and push of a stream into another repository: refused (exit 2), nothing written"

CAIRN_CATALOG=$b_catalog CAIRN_PASSPHRASE_FILE=$PWD/pass-b \
  cairn-verify --repo "$PWD/repo-b" --read-data >/dev/null 2>verify.err \
  || die "repository B does not verify: $(tail -n 1 verify.err)"
CAIRN_CATALOG=$b_catalog CAIRN_PASSPHRASE_FILE=$PWD/pass-b \
  cairn-restore latest --repo "$PWD/repo-b" --to "$PWD/out-b" 2>/dev/null
compare_trees b out-b
echo "repository B still verifies and restores with its own passphrase"

# Without a config: B's key slots alone are still another repository's.
mkdir -p skel/keys
cp repo-b/keys/* skel/keys/
snapshot skel >before.txt
expect_exit 2 cairn-push --all "$PWD/skel"
expect_stderr "'$PWD/skel' holds another cairn repository \(no config, key slot 'keys/.*'\), not a copy of this one \($a_id\)"
snapshot skel >after.txt
diff -u before.txt after.txt >&2 || die "the refused push changed the directory"
echo "a place holding only another repository's key slots: refused"

# stdin a terminal, no --all: a usage error at once, not a wait for input.
script -qec "cairn-push '$PWD/dest'; echo \"exit=\$?\"" /dev/null </dev/null >tty.out 2>&1 &
pid=$!
for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then kill "$pid"; die "cairn-push waited for terminal input"; fi
wait "$pid" || true
tr -d '\r' <tty.out >tty.txt
grep -q '^exit=2$' tty.txt || die "cairn-push on a terminal: $(cat tty.txt)"
grep -q "^cairn-push: error: standard input is a terminal: pipe in what cairn-pack or cairn-prune prints, or use --all" tty.txt \
  || die "no usage line: $(cat tty.txt)"
[ ! -e dest ] || die "cairn-push on a terminal created the destination"
echo "stdin a terminal: usage error (exit 2)"

expect_exit 0 cairn-push "$PWD/dest" </dev/null
expect_stderr "nothing to push"
[ ! -e dest ] || die "an empty pipe created the destination"
echo "an empty pipe: nothing to push (exit 0)"

# A place that is not a copy (yet) names the command that makes one.
mkdir -p empty-copy
expect_exit 10 cairn-restore latest --from "$PWD/empty-copy" --to "$PWD/out-e"
expect_stderr "no cairn repository at '$PWD/empty-copy': fill a copy there with 'cairn-push --all $PWD/empty-copy'"
grep -q "cairn init" last.stderr && die "the error names cairn init: $(cat last.stderr)"
echo "restore --from a place that is no copy: names cairn-push --all"
