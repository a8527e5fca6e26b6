#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Restore cannot be turned against the host by a local user who can write one directory
# inside the target. While root restores a set of 300 directories (mode 0777, one file
# each) below that directory, the user (nobody, no privileges) keeps swapping every restored
# directory for a symlink to a root-owned 0600 file outside the target: restore applies a
# directory's metadata after its children, and that window is what this aims at. Several
# rounds; the outside file's mode, owner, times and content never change.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
is_root || skip "needs root (restores as root, attacks as the unprivileged user nobody)"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
nobody_group=$(id -gn nobody)

make_repo
mkdir -p src/w
for i in $(seq 100 399); do
  mkdir "src/w/d$i"
  printf 'file %s\n' "$i" >"src/w/d$i/f"
  chmod 0777 "src/w/d$i"
done
backup "$PWD/src" --source race >/dev/null

# Outside the scratch dir (which nobody cannot enter): a place both users reach.
arena=$(mktemp -d /tmp/cairn-race.XXXXXX)
trap 'touch "$arena/stop" 2>/dev/null; wait; rm -rf "$arena"' EXIT
chmod 0755 "$arena"
mkdir "$arena/outside"
printf 'root only\n' >"$arena/outside/secret"
chmod 0600 "$arena/outside/secret"
chown 0:0 "$arena/outside/secret"
touch -d '2001-01-01 00:00:00 UTC' "$arena/outside/secret"
state() { stat -c '%a %u %g %s %Y' "$arena/outside/secret"; cat "$arena/outside/secret"; }
before=$(state)

# The attacker: renames each restored directory away and puts a symlink in its place, over
# and over, until told to stop (or 60 s, whichever comes first).
cat >"$arena/attack.py" <<'PY'
import os, stat, sys, time
w, secret, stop = sys.argv[1], sys.argv[2], sys.argv[3]
deadline, swaps, n = time.monotonic() + 60, 0, 0
while time.monotonic() < deadline and not os.path.exists(stop):
    try:
        names = os.listdir(w)
    except OSError:
        continue
    for name in names:
        if not name.startswith("d"):
            continue
        p = os.path.join(w, name)
        try:
            if stat.S_ISDIR(os.lstat(p).st_mode):
                n += 1
                os.rename(p, os.path.join(w, ".away-%d" % n))
                os.symlink(secret, p)
                swaps += 1
        except OSError:
            pass
print(swaps)
PY
chmod 0644 "$arena/attack.py"

total=0
for round in 1 2 3 4 5; do
  target=$arena/target-$round
  mkdir -p "$target/w"
  chmod 0755 "$target"
  chown "nobody:$nobody_group" "$target/w"  # the one directory the local user may write
  rm -f "$arena/stop"
  setpriv --reuid=nobody --regid="$nobody_group" --clear-groups --no-new-privs \
    "$CAIRN_PY" "$arena/attack.py" "$target/w" "$arena/outside/secret" "$arena/stop" >"$arena/swaps" &
  attacker=$!
  sleep 0.2
  rc=0
  cairn-restore race@latest --to "$target" >/dev/null 2>"restore-$round.err" || rc=$?
  touch "$arena/stop"
  wait "$attacker"
  swaps=$(cat "$arena/swaps")
  total=$((total + swaps))
  after=$(state)
  [ "$after" = "$before" ] || {
    sed 's/^/  | /' "restore-$round.err" >&2
    die "round $round: the root-owned file outside the target changed (${before%%$'\n'*} -> ${after%%$'\n'*}) after $swaps swaps; restore exited $rc"
  }
done
[ "$total" -gt 0 ] || die "the attacker never swapped a directory: the race was not run"
echo "a local user swapping restored directories for symlinks changes nothing outside the target"
