#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The files cache lost, damaged or swapped for another source's: a write-only job warns in one
# line that every file is read again, reads them all, and commits a correct set (and the next
# night is incremental again). A full key reads the repository instead, without a warning,
# and says with -v when it used the cache.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_write_only.sh
. "$(dirname "${BASH_SOURCE[0]}")/_write_only.sh"

mkdir -p other
gen_file src/a.bin 1M 1
gen_text src/t.txt 100
gen_text other/o.txt 50
full_size() { echo $((1024 * 1024 + $(stat -c %s src/t.txt))); }  # every file of src
cache_of() { echo "$CAIRN_CATALOG.files/$(printf %s "$1" | b2sum -l 256 | cut -c1-32)"; }

# job SOURCE DIR EXPECTED-EXIT [KEY]: snap | diff | pack; stderr in job.err
pipeline() { set -o pipefail; cairn-snap "$PWD/$2" --source "$1" | cairn-diff -v | cairn-pack; }
job() {
  local rc=0 as=as_writer
  [ "${4:-wo}" = wo ] || as=as_admin
  "$as" pipeline "$1" "$2" >pack.out 2>job.err || rc=$?
  [ "$rc" = "$3" ] || { cat job.err >&2; die "the job for $1 exited $rc, expected $3"; }
  head -n 1 pack.out
}
check() { restores_as_src "$1" "$PWD/back"; }  # check SET
one_warning() {  # one_warning WHAT: job.err has exactly one warning, saying a full read
  grep -q 'cairn-diff: warning: 1 item had problems' job.err \
    || { cat job.err >&2; die "$1: not exactly one warning"; }
  assert_eq 1 "$(grep -c 'files cache' job.err)" "lines naming the files cache ($1)"
  grep -q "cairn-diff: warning: .*the key is write-only, so every file of source 'app' is read again" job.err \
    || { cat job.err >&2; die "$1: the warning does not say every file is read again"; }
}

job app src 0 >/dev/null
job other other 0 >/dev/null
for src in app other; do [ -f "$(cache_of $src)" ] || die "no files cache for source $src"; done

# lost
printf 'lost\n' >>src/t.txt
rm "$(cache_of app)"
s=$(job app src 3)
one_warning lost
grep -q "no files cache" job.err || die "the warning does not say the cache is missing"
assert_eq "$(full_size)" "$(read_of "$s")" "bytes read without a cache"
check "$s"
# rebuilt: the next night reads only what changed
printf 'again\n' >>src/t.txt
s=$(job app src 0)
assert_eq "$(stat -c %s src/t.txt)" "$(read_of "$s")" "bytes read once the cache is back"
check "$s"
echo "lost: one warning, a full read, a correct set; rebuilt by the next run"

# damaged: one byte flipped (in the manifest, then in the MAC)
for where in 100 -1; do
  f=$(cache_of app)
  [ "$where" -ge 0 ] || where=$(($(stat -c %s "$f") - 1))
  flip_byte "$f" "$where"
  printf 'x\n' >>src/t.txt
  s=$(job app src 3)
  one_warning "damaged at $where"
  grep -q "is damaged or was not written with this repository's key" job.err \
    || die "the warning does not say the cache is damaged"
  assert_eq "$(full_size)" "$(read_of "$s")" "bytes read with a damaged cache"
  check "$s"
done
echo "damaged: one warning, a full read, a correct set"

# another source's cache in its place: it authenticates but names another set
cp "$(cache_of other)" "$(cache_of app)"
printf 'y\n' >>src/t.txt
s=$(job app src 3)
one_warning swapped
grep -q "holds set" job.err || die "the warning does not say the cache holds another set"
assert_eq "$(full_size)" "$(read_of "$s")" "bytes read with another source's cache"
check "$s"
echo "swapped: one warning, a full read, a correct set"

# the full key: a good cache is used (-v says so), a damaged one is passed over silently
printf 'z\n' >>src/t.txt
s=$(job app src 0 full)
grep -q "read from the files cache" job.err || { cat job.err >&2; die "-v does not say the cache was used"; }
check "$s"
flip_byte "$(cache_of app)" 100
printf 'w\n' >>src/t.txt
s=$(job app src 0 full)
! grep -q warning job.err || { cat job.err >&2; die "the full key warned about the cache"; }
grep -q "reading the base set from the repository" job.err || die "-v does not say the repository was read"
assert_eq "$(stat -c %s src/t.txt)" "$(read_of "$s")" "bytes read by the full key without a usable cache"
check "$s"
echo "full key: uses the cache, or reads the repository"

# a cache that cannot be written: a warning from cairn-pack (exit 3), the set is committed
rm -rf "$CAIRN_CATALOG.files"
printf 'in the way\n' >"$CAIRN_CATALOG.files"
printf 'v\n' >>src/t.txt
s=$(job app src 3 full)
grep -q "cairn-pack: warning: .*the files cache was not written" job.err \
  || { cat job.err >&2; die "cairn-pack does not warn that the cache was not written"; }
check "$s"
echo "unwritable: a warning, the set is committed"
