# shellcheck shell=bash
# tests/cli/push/_remote.sh: the round trip the remote cases share (sourced after lib.sh).
#   remote_roundtrip URL: back up a tree, push it to URL, restore it from URL alone; push
#   --all again (nothing sent); remove a pack there is not checked (no local view of URL).

need_services() {
  [ "${CAIRN_TEST_REMOTE:-}" = 1 ] || skip "set CAIRN_TEST_REMOTE=1 to run the cases that start services"
}

remote_roundtrip() {  # remote_roundtrip URL
  local url=$1
  make_repo
  local src=$PWD/src
  mkdir -p "$src/a"
  gen_file "$src/a/one.bin" 3M 1
  gen_text "$src/a/notes.txt" 50
  (set -o pipefail && cairn-snap "$src" --source app | cairn-diff | cairn-pack | cairn-push "$url" >push.out) \
    || die "pushing to $url failed"
  grep -q '^+packs/' push.out || die "no pack was pushed"
  [ "$(tail -n 1 push.out | cut -c1-6)" = "+sets/" ] || die "the set object was not pushed last"
  echo "push: every object"
  mv "$CAIRN_REPO" repo.away
  mv "$CAIRN_CATALOG" catalog.away
  cairn-restore latest --from "$url" --to "$PWD/out" 2>restore.err || { cat restore.err >&2; die "restore --from failed"; }
  compare_trees "$src" out
  echo "restore --from: equal to the tree"
  mv repo.away "$CAIRN_REPO"
  mv catalog.away "$CAIRN_CATALOG"
  cairn-push --all "$url" >all.out
  [ ! -s all.out ] || die "--all sent objects the destination holds: $(head -n 3 all.out)"
  gen_file "$src/a/two.bin" 1M 2
  (set -o pipefail && cairn-snap "$src" --source app | cairn-diff | cairn-pack >pack.out)
  cairn-push --all "$url" >all2.out
  grep -v '^+config\|^+keys' pack.out | tail -n +2 | sed "s|\$| $url|" | LC_ALL=C sort >want.out
  LC_ALL=C sort all2.out >got.out
  diff -u want.out got.out >&2 || die "--all sent other objects than the new set's"
  echo "--all: only what is missing"
}
