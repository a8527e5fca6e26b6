#!/usr/bin/env bash
# The first hour, as a new user lives it: a fresh HOME and an environment holding nothing of
# cairn's, then only the commands of README.md's first block, in order (export, init, backup,
# ls, restore, verify), read from the README itself and run by /bin/sh with its paths moved
# into this scratch directory. The restored tree must equal the source. Then the README's
# nightly line under /bin/sh, as cron runs it, with a source that does not exist: a non-zero
# exit status and exactly one line on stderr naming the source.
set -euo pipefail
. "$CAIRN_CLI_LIB"
readme=$CAIRN_SOURCE_DIR/README.md

# The indented block that follows "Four commands to a first restore", comments removed.
awk '/^Four commands to a first restore/ {on = 1; next}
     on && /^    / {sub(/^    /, ""); sub(/[ \t]+#.*$/, ""); print; seen = 1; next}
     on && seen {exit}' "$readme" >steps.raw
# The nightly line: the indented line after "The nightly job".
awk '/^The nightly job/ {on = 1; next} on && /^    / {sub(/^    /, ""); print; exit}' "$readme" >cron.raw
[ "$(wc -l <steps.raw)" -ge 5 ] || die "README.md: no first-hour block found after 'Four commands to a first restore'"
[ -s cron.raw ] || die "README.md: no nightly line found after 'The nightly job'"
for want in "cairn init" "cairn backup" "cairn ls" "cairn restore" "cairn verify"; do
  grep -q "^$want" steps.raw || die "README.md's first block has no '$want' line"
done

root=$PWD
relocate() {  # the README's paths into this scratch directory (@ROOT@ first, to check)
  sed -e "s|/var/backups/cairn|@ROOT@/repo|g" -e "s|/etc/cairn/passphrase|@ROOT@/etc/passphrase|g" \
    -e "s|/srv/app|@ROOT@/srv/app|g" -e "s|/tmp/app|@ROOT@/restored|g" -e "s|s3://dr-east/app|@ROOT@/dest|g" "$@"
}
relocate steps.raw cron.raw >relocated
if grep -E -q '(^|[ =])/(var|etc|srv|tmp)/' relocated; then
  die "the README uses a path this case does not relocate: $(grep -E '(^|[ =])/(var|etc|srv|tmp)/' relocated | head -n 1)"
fi
relocate steps.raw | sed "s|@ROOT@|$root|g" >steps.sh
relocate cron.raw | sed "s|@ROOT@|$root|g" >cron.sh

# What a new user has made before the first command: the data, and the passphrase file.
mkdir -p srv/app/conf etc home
gen_text srv/app/conf/app.ini 30
gen_file srv/app/data.bin 300K 7
ln -s conf/app.ini srv/app/current.ini
(umask 077 && echo "correct horse battery staple" >etc/passphrase)

# A new user's environment: no CAIRN_* (only the test-only fast key derivation), a fresh HOME.
fresh() {
  env -i HOME="$root/home" PATH="$CAIRN_BIN:/usr/bin:/bin" LC_ALL=C.UTF-8 TZ=UTC \
    CAIRN_TEST_FAST_KDF=1 CAIRN_KEY_CACHE=off "$@"
}
n=0
while IFS= read -r line; do
  n=$((n + 1))
  [ -n "$line" ] || continue
  cmd=$(sed -n "1,${n}p" steps.sh | grep '^export ' || true)  # each step runs with the exports
  if ! fresh sh -c "$cmd
$line" >"step$n.out" 2>"step$n.err"; then
    die "README step $n failed under /bin/sh: $line; stderr: $(cat "step$n.err")"
  fi
done <steps.sh
[ -d repo ] || die "cairn init made no repository at the README's CAIRN_REPO"
ls_step=$(grep -n '^cairn ls' steps.sh | head -n 1 | cut -d: -f1)
grep -qw app "step$ls_step.out" || die "cairn ls does not list the source app: $(cat "step$ls_step.out")"
compare_trees srv/app restored || die "the README's restore differs from the source"
echo "first hour: $(grep -c . steps.sh) README lines ran; restore equals the source"

# cron: /bin/sh, the README's nightly line, the source gone.
rm -rf srv/app
exports=$(grep '^export ' steps.sh)
set +e
fresh sh -c "$exports
$(cat cron.sh)" >cron.out 2>cron.err
status=$?
set -e
[ "$status" != 0 ] || die "the nightly line exited 0 with a missing source"
[ ! -s cron.out ] || die "the nightly line wrote to stdout: $(cat cron.out)"
[ "$(wc -l <cron.err)" = 1 ] || die "the nightly line printed $(wc -l <cron.err) lines on stderr, not one: $(cat cron.err)"
grep -q "$root/srv/app" cron.err || die "the nightly line's error does not name the source: $(cat cron.err)"
echo "cron under /bin/sh, missing source: exit $status, one line on stderr"
