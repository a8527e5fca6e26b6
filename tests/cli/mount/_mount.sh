# shellcheck shell=bash
# tests/cli/mount/_mount.sh: helpers for the `cairn mount` cases (sourced after lib.sh).
#   need_fuse                 skip unless /dev/fuse and fusermount3 are there
#   start_mount DIR [ARGS..]  `cairn mount DIR` in the background ($mount_pid, stderr in
#                             ./mount.stderr); returns once DIR/ids lists a set (30 s at most)
#   stop_mount DIR            fusermount3 -u DIR, then the exit status of cairn mount ($mount_rc)
# An EXIT trap unmounts whatever is still mounted, so a failing case leaves no mount behind.

need_fuse() {
  [ -e /dev/fuse ] || skip "/dev/fuse is absent: FUSE is not available here (a container needs --device /dev/fuse)"
  command -v fusermount3 >/dev/null || skip "fusermount3 is absent (Debian package fuse3; scripts/test installs it)"
}

_mounted=()
_unmount_all() {
  local d
  for d in "${_mounted[@]}"; do
    mountpoint -q "$d" 2>/dev/null && fusermount3 -u "$d" 2>/dev/null || true
  done
}
trap _unmount_all EXIT

start_mount() {  # start_mount DIR [ARGS...]
  local dir=$1 i
  shift
  mkdir -p "$dir"
  _mounted+=("$PWD/$dir")
  cairn mount "$dir" "$@" 2>mount.stderr &
  mount_pid=$!
  for ((i = 0; i < 300; i++)); do
    if [ -n "$(ls -A "$dir/ids" 2>/dev/null)" ]; then return 0; fi
    kill -0 "$mount_pid" 2>/dev/null || { cat mount.stderr >&2; die "cairn mount exited early"; }
    sleep 0.1
  done
  die "cairn mount $dir: no set under $dir/ids after 30 s"
}

wait_exit() {  # wait_exit PID: its exit status in $mount_rc, waiting 30 s at most
  local i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$1" 2>/dev/null && die "cairn mount did not exit within 30 s"
  mount_rc=0
  wait "$1" || mount_rc=$?
}

stop_mount() {  # stop_mount DIR
  fusermount3 -u "$1" || die "fusermount3 -u $1 failed"
  wait_exit "$mount_pid"
}
