#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-push to local destinations: what cairn-pack prints goes to a destination that then
# restores alone (the local repository and catalog moved away); --all copies a whole
# repository; an interrupted --all push (packs missing at the destination) resumes sending
# only what is missing; -REL lines delete at the destination.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
src=$PWD/src
mkdir -p "$src/a" "$src/b"
gen_file "$src/a/one.bin" 3M 1
gen_file "$src/b/two.bin" 2M 2
gen_text "$src/a/notes.txt" 100
ln -s ../a/notes.txt "$src/b/link"

dest=$PWD/dest
(set -o pipefail && cairn-snap "$src" --source app | cairn-diff | cairn-pack | cairn-push "file://$dest" >push.out)
# every object cairn-pack named went up, and config and the key slot before them
grep -c '^+packs/' push.out >/dev/null || die "no pack was pushed"
grep -q "^+config file://$dest\$" push.out || die "config was not pushed"
grep -q "^+keys/" push.out || die "no key slot was pushed"
grep -q "^+index/" push.out || die "no index file was pushed"
grep -q "^+sets/" push.out || die "no set object was pushed"
[ "$(tail -n 1 push.out | cut -c1-6)" = "+sets/" ] || die "the set object was not pushed last"
grep -v " file://$dest\$" push.out && die "a line names another destination"
echo "push: config, keys, packs, index, set"

# the destination restores alone
mv "$CAIRN_REPO" repo.away
mv "$CAIRN_CATALOG" catalog.away
cairn-restore latest --from "file://$dest" --to "$PWD/out" 2>/dev/null
compare_trees "$src" out
echo "restore --from: equal to the tree, without the local repository"
mv repo.away "$CAIRN_REPO"
mv catalog.away "$CAIRN_CATALOG"

# a second set: only its new objects go up; both restore from the destination
gen_file "$src/b/three.bin" 1M 3
(set -o pipefail && cairn-snap "$src" --source app | cairn-diff | cairn-pack | cairn-push "$dest" >push2.out)
grep -q '^+sets/' push2.out || die "the second set object was not pushed"
grep -q '^+config' push2.out && die "config was pushed again"
cairn-restore latest --from "$dest" --to "$PWD/out2" 2>/dev/null
compare_trees "$src" out2
echo "second push: restores the newer set"

# --all to a new destination: the same objects as the repository
(cd "$CAIRN_REPO" && find config keys packs index sets holds -type f | LC_ALL=C sort) >repo.objects
cairn-push --all "$PWD/dest2" >all.out
sed 's/^+//; s/ .*//' all.out | LC_ALL=C sort >pushed.objects
diff -u repo.objects pushed.objects >&2 || die "--all did not push every object exactly once"
(cd dest2 && find config keys packs index sets holds -type f | LC_ALL=C sort) >dest2.objects
diff -u repo.objects dest2.objects >&2 || die "dest2 does not hold the repository's objects"
cairn-push --all "$PWD/dest2" >all-again.out
[ ! -s all-again.out ] || die "a second --all sent objects again: $(head -n 3 all-again.out)"
echo "--all: every object, once"

# interrupted: packs missing (or truncated) at the destination are the only ones sent again
cairn-push --all --jobs 3 "$PWD/dest3" >/dev/null
mapfile -t packs < <(cd dest3 && find packs -type f | LC_ALL=C sort)
[ "${#packs[@]}" -ge 2 ] || die "expected at least two packs, got ${#packs[@]}"
rm "dest3/${packs[0]}"
truncate -s 100 "dest3/${packs[1]}"
rm dest3/sets/*
cairn-push --all "$PWD/dest3" >resume.out
want=$( (printf '+%s %s\n' "${packs[0]}" "$PWD/dest3" "${packs[1]}" "$PWD/dest3"
         for s in "$CAIRN_REPO"/sets/*; do printf '+sets/%s %s\n' "${s##*/}" "$PWD/dest3"; done) | LC_ALL=C sort)
assert_eq "$want" "$(LC_ALL=C sort resume.out)" "objects sent by the resumed push"
cmp "$CAIRN_REPO/${packs[1]}" "dest3/${packs[1]}" || die "the truncated pack was not replaced"
mv "$CAIRN_REPO" repo.away
mv "$CAIRN_CATALOG" catalog.away
cairn-restore latest --from "$PWD/dest3" --to "$PWD/out3" 2>/dev/null
compare_trees "$src" out3
mv repo.away "$CAIRN_REPO"
mv catalog.away "$CAIRN_CATALOG"
echo "resume: only the missing objects, and it restores"

# -REL deletes at every destination named
set1=$(cd "$CAIRN_REPO/sets" && ls | head -n 1)
printf -- '-sets/%s\n' "$set1" | cairn-push "$PWD/dest2" "$PWD/dest3" >del.out
assert_eq "$(printf -- '-sets/%s %s\n' "$set1" "$PWD/dest2" "$set1" "$PWD/dest3" | LC_ALL=C sort)" \
  "$(LC_ALL=C sort del.out)" "deletions reported"
[ ! -e "dest2/sets/$set1" ] && [ ! -e "dest3/sets/$set1" ] || die "the set object is still there"
echo "deletions: at every destination"

# bad input is refused before anything is sent
if printf '+packs/../../etc/passwd\n' | cairn-push "$PWD/dest4" >bad.out 2>bad.err; then
  die "cairn-push accepted a path outside the repository layout"
fi
[ ! -s bad.out ] || die "cairn-push reported a transfer for bad input"
[ ! -e dest4 ] || die "a destination was created for bad input"
echo "bad input: refused"
