# shellcheck shell=bash
# tests/cli/lib.sh: helpers for CLI test cases. A case starts with
#
#   set -euo pipefail
#   . "$CAIRN_CLI_LIB"
#
# and runs in its own scratch dir (see run.sh). Helpers write diagnostics to stderr only;
# the ones that check something return non-zero (so `set -e` stops the case) and say why.
#
#   die MSG...                       print "error: MSG" to stderr, exit 1
#   skip MSG...                      print "skip: MSG", exit 77 (the case counts as skipped)
#   need_env VAR...                  skip unless every VAR is set (tests needing a service)
#   is_root                          true when running as uid 0
#   expect_exit CODE CMD...          run CMD, fail unless it exits CODE; its stderr goes to
#                                    ./last.stderr, its stdout to ./last.stdout
#   expect_stderr PATTERN            fail unless a line of ./last.stderr matches PATTERN
#                                    (grep -E): pins the message of a refusal expect_exit saw
#                                    (tests/meta/check-cli-stderr.py wants one for each)
#   assert_eq EXPECTED ACTUAL [WHAT] fail unless the two strings are equal
#   gen_file PATH SIZE [SEED]        SIZE (bytes, or 10K/3M) of deterministic pseudo-random data
#   gen_text PATH LINES              compressible text
#   make_repo [DIR [INIT-OPTION...]] passphrase file (0600) + `cairn init` (with the options);
#                                    exports CAIRN_REPO, CAIRN_PASSPHRASE_FILE, CAIRN_CATALOG
#                                    (default DIR: ./repo)
#   make_tree DIR [--no-special] [--no-xattr] [--no-acl] [--no-weird-names]
#                                    a tree holding every kind of entry (see below)
#   tree_listing DIR                 one sorted line per entry: path type mode uid gid size
#                                    (major:minor for devices) mtime nlink link-target
#   xattr_dump DIR / acl_dump DIR    getfattr / getfacl output for every entry, in path order
#   compare_trees [--no-owner] [--no-xattr] [--no-acl] [--no-dir-mtime] [--no-mtime] A B
#                                    compare two trees without using cairn: diff -r
#                                    --no-dereference, then the listings, xattrs and ACLs
# Nothing here depends on cairn except make_repo.

# Debian's python3 (stdlib only); a pyenv shim earlier on PATH costs 0.1 s a call.
if [ -x /usr/bin/python3 ]; then CAIRN_PY=/usr/bin/python3; else CAIRN_PY=python3; fi

die() { echo "error: $*" >&2; exit 1; }
skip() { echo "skip: $*" >&2; exit 77; }
is_root() { [ "$(id -u)" = 0 ]; }
# asan_build: the tools are an AddressSanitizer build (LD_PRELOAD tricks such as libfaketime
# make its runtime abort, and strace/gcore of it are slow or huge)
asan_build() { [[ $(ldd "$(command -v cairn-pack)" 2>/dev/null) == *libasan* ]]; }  # no grep -q: pipefail + SIGPIPE
# need_strace: skip unless strace can count the tools' own system calls (installed, ptrace
# allowed, not under AddressSanitizer, whose runtime makes calls of its own)
need_strace() {
  command -v strace >/dev/null || skip "strace is not installed"
  strace -f -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace refused)"
  ! asan_build || skip "system calls are not the tools' own under AddressSanitizer"
}
# strace_calls NAME FILE: the count column of strace -c's row for NAME (0 when absent)
strace_calls() { awk -v s="$1" '$NF == s { print $4; f = 1 } END { if (!f) print 0 }' "$2"; }

need_env() {
  local v
  for v in "$@"; do
    [ -n "${!v:-}" ] || skip "$v is not set (start the service: scripts/services/)"
  done
}

expect_exit() {  # expect_exit CODE CMD...
  local want=$1 got=0
  shift
  "$@" >last.stdout 2>last.stderr || got=$?
  if [ "$got" != "$want" ]; then
    echo "error: '$*' exited $got, expected $want; its stderr:" >&2
    sed 's/^/  | /' last.stderr >&2
    return 1
  fi
}

expect_stderr() {  # expect_stderr PATTERN
  grep -Eq -- "$1" last.stderr && return 0
  echo "error: no line of stderr matches '$1'; its stderr:" >&2
  sed 's/^/  | /' last.stderr >&2
  return 1
}

assert_eq() {  # assert_eq EXPECTED ACTUAL [WHAT]
  if [ "$1" != "$2" ]; then
    echo "error: ${3:-value}: expected '$1', got '$2'" >&2
    return 1
  fi
}

_size_bytes() {
  case $1 in
    *K) echo $((${1%K} * 1024)) ;;
    *M) echo $((${1%M} * 1024 * 1024)) ;;
    *G) echo $((${1%G} * 1024 * 1024 * 1024)) ;;
    *) echo "$1" ;;
  esac
}

gen_file() {  # gen_file PATH SIZE [SEED]: deterministic, incompressible, streamed
  local path=$1 size seed=${3:-1}
  size=$(_size_bytes "$2")
  "$CAIRN_PY" - "$path" "$size" "$seed" <<'PY'
import random, sys
path, size, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(seed)
with open(path, "wb") as f:
    while size > 0:
        n = min(size, 1 << 20)
        f.write(rng.randbytes(n))
        size -= n
PY
}

gen_text() {  # gen_text PATH LINES
  local i
  for ((i = 1; i <= $2; i++)); do
    printf 'line %d of %s: the quick brown fox jumps over the lazy dog\n' "$i" "$1"
  done >"$1"
}

make_repo() {  # make_repo [DIR [INIT-OPTION...]]
  local dir=${1:-$PWD/repo} state=${XDG_STATE_HOME:-$HOME/.local/state}/cairn
  shift $(($# > 0 ? 1 : 0))
  mkdir -p "$state"
  export CAIRN_PASSPHRASE_FILE=$state/passphrase
  (umask 077 && printf 'correct horse battery staple %s\n' "$RANDOM" >"$CAIRN_PASSPHRASE_FILE")
  export CAIRN_REPO=$dir
  export CAIRN_CATALOG=${CAIRN_CATALOG:-$state/catalog.db}
  cairn init --repo "$CAIRN_REPO" --passphrase-file "$CAIRN_PASSPHRASE_FILE" "$@" >/dev/null \
    || die "cairn init --repo $CAIRN_REPO failed"
}

# make_tree DIR: regular files (empty, small, multi-MiB, sparse, with odd modes and old or
# sub-second mtimes), nested and empty directories, relative/absolute/dangling symlinks,
# a symlink to a directory, a hard-link pair, a fifo, (as root) a character and a block
# device and a file owned by another uid/gid, names with spaces, a newline, a leading dash,
# UTF-8 and bytes that are not UTF-8, user xattrs and POSIX ACLs.
make_tree() {
  local dir=$1 special=1 xattr=1 acl=1 weird=1
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --no-special) special=0 ;;
      --no-xattr) xattr=0 ;;
      --no-acl) acl=0 ;;
      --no-weird-names) weird=0 ;;
      *) die "make_tree: unknown option $1" ;;
    esac
    shift
  done
  mkdir -p "$dir"/{docs/deep/deeper/deepest,empty-dir,bin,data}
  : >"$dir/empty"
  printf 'hello, cairn\n' >"$dir/docs/hello.txt"
  gen_text "$dir/docs/deep/text.txt" 2000
  gen_text "$dir/docs/deep/deeper/deepest/leaf.txt" 3
  gen_file "$dir/data/random-3m.bin" 3M 7
  gen_file "$dir/data/small.bin" 4097 8
  truncate -s 5M "$dir/data/sparse.img"
  printf 'middle' | dd of="$dir/data/sparse.img" bs=1 seek=$((2 * 1024 * 1024)) conv=notrunc status=none
  printf '#!/bin/sh\necho hi\n' >"$dir/bin/run.sh"
  chmod 0755 "$dir/bin/run.sh"
  printf 'secret\n' >"$dir/private"
  chmod 0600 "$dir/private"
  printf 'read only\n' >"$dir/docs/readonly.txt"
  chmod 0444 "$dir/docs/readonly.txt"
  printf 'setuid-ish\n' >"$dir/bin/modes"
  chmod 4750 "$dir/bin/modes"
  chmod 1777 "$dir/empty-dir"
  chmod 2750 "$dir/bin"
  ln -s docs/hello.txt "$dir/link-relative"
  ln -s /etc/hostname "$dir/link-absolute"
  ln -s does/not/exist "$dir/link-dangling"
  ln -s docs "$dir/link-to-dir"
  printf 'linked\n' >"$dir/hard-a"
  ln "$dir/hard-a" "$dir/docs/hard-b"
  if [ "$weird" = 1 ]; then
    printf 'spaces\n' >"$dir/with  two spaces.txt"
    printf 'dash\n' >"$dir/-leading-dash"
    printf 'utf8\n' >"$dir/résumé-日本語.txt"
    printf 'newline\n' >"$dir/new"$'\n'"line"
    printf 'latin1\n' >"$dir/not-utf8-"$'\xe9\xff'
    printf 'glob\n' >"$dir/star*?[x]"
  fi
  if [ "$special" = 1 ]; then
    mkfifo "$dir/fifo"
    if is_root; then
      mknod "$dir/char-dev" c 1 3
      mknod "$dir/block-dev" b 7 200
      printf 'owned\n' >"$dir/docs/owned-by-4242"
      chown 4242:4343 "$dir/docs/owned-by-4242"
    fi
  fi
  if [ "$xattr" = 1 ]; then
    setfattr -n user.cairn.comment -v "hello xattr" "$dir/docs/hello.txt"
    setfattr -n user.cairn.binary -v 0x00ff10 "$dir/data/small.bin"
    setfattr -n user.cairn.dir -v "on a directory" "$dir/docs/deep"
  fi
  if [ "$acl" = 1 ]; then
    setfacl -m u:4242:r--,g:4343:rw- "$dir/docs/hello.txt"
    setfacl -d -m u:4242:rwx "$dir/docs/deep/deeper"
  fi
  # mtimes last (creating entries above touched their parents): old, sub-second, future
  touch -h -d '2001-02-03 04:05:06.123456789 UTC' "$dir/docs/hello.txt" "$dir/link-relative"
  touch -d '1999-12-31 23:59:59 UTC' "$dir/empty"
  touch -d '2038-01-19 03:14:08 UTC' "$dir/data/small.bin"
  touch -d '2010-06-01 12:00:00.5 UTC' "$dir/docs/deep/deeper/deepest" "$dir/docs/deep"
}

tree_listing() {  # tree_listing [--no-owner] [--no-mtime] [--no-dir-mtime] DIR
  # One line per entry, sorted: path, type (%y), mode (%m), uid, gid, size, mtime (%T@), link
  # count, link target. Paths and targets keep UTF-8 as is and escape everything else (bytes
  # that are not UTF-8, spaces, control characters, backslashes), so each is one field.
  # A directory's size depends on the filesystem's history, so it is left out; so is a
  # directory's link count (it counts subdirectories, already listed).
  local opts=()
  while [ $# -gt 1 ]; do opts+=("$1"); shift; done
  (cd "$1" && find . -mindepth 1 -printf '%P\0%y\0%m\0%U\0%G\0%s\0%T@\0%n\0%l\0') \
    | "$CAIRN_PY" -c '
import os, sys
root, opts = sys.argv[1].encode(), set(sys.argv[2:])
f = sys.stdin.buffer.read().split(b"\0")[:-1]
def esc(b):  # readable for UTF-8, unambiguous for anything else
    t = b.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() and c != " " else "\\x%02x" % ord(c) if ord(c) < 256 else "\\u%04x" % ord(c) for c in t)
rows = []
for i in range(0, len(f), 9):
    path, typ, mode, uid, gid, size, mtime, nlink, target = [esc(x) for x in f[i:i + 9]]
    if typ == "d":
        size = nlink = "-"
    if typ in ("c", "b"):  # find cannot print a device number: the "size" is major:minor
        rdev = os.lstat(os.path.join(root, f[i])).st_rdev
        size = "%d:%d" % (os.major(rdev), os.minor(rdev))
    if "--no-owner" in opts:
        uid = gid = "-"
    if "--no-mtime" in opts or ("--no-dir-mtime" in opts and typ == "d"):
        mtime = "-"
    rows.append(" ".join([path, typ, mode, uid, gid, size, mtime, nlink, target or "-"]))
print("\n".join(sorted(rows)), end="\n" if rows else "")
' "$1" "${opts[@]}"
}

_sorted_entries() {  # NUL-separated relative paths, sorted; "$@" are extra find tests
  (cd "$1" && shift && find . -mindepth 1 "$@" -print0 | sort -z)
}

xattr_dump() {  # xattr_dump DIR
  (cd "$1" && _sorted_entries . | xargs -0 -r getfattr -h -d -m - -e hex -- 2>/dev/null) || true
}

acl_dump() {  # acl_dump DIR (symlinks have no ACLs)
  (cd "$1" && _sorted_entries . ! -type l | xargs -0 -r getfacl -p -n -- 2>/dev/null) || true
}

compare_trees() {  # compare_trees [options] A B
  local owner=1 xattr=1 acl=1 dir_mtime=1 mtime=1
  while [ $# -gt 2 ]; do
    case $1 in
      --no-owner) owner=0 ;;
      --no-xattr) xattr=0 ;;
      --no-acl) acl=0 ;;
      --no-dir-mtime) dir_mtime=0 ;;
      --no-mtime) mtime=0 ;;
      *) die "compare_trees: unknown option $1" ;;
    esac
    shift
  done
  local a=$1 b=$2 rc=0 out
  [ -d "$a" ] || { echo "compare_trees: '$a' is not a directory" >&2; return 1; }
  [ -d "$b" ] || { echo "compare_trees: '$b' is not a directory" >&2; return 1; }
  # diff cannot compare fifos or devices; the listing below checks their type and numbers.
  out=$(diff -r --no-dereference "$a" "$b" 2>&1 \
    | grep -Ev '^File .* is a (fifo|character special file|block special file|socket) while file .* is a (fifo|character special file|block special file|socket)$' || true)
  if [ -n "$out" ]; then
    echo "compare_trees: contents differ:" >&2
    printf '%s\n' "$out" | head -n 40 >&2
    rc=1
  fi
  local lopts=()
  [ "$owner" = 0 ] && lopts+=(--no-owner)
  [ "$mtime" = 0 ] && lopts+=(--no-mtime)
  [ "$dir_mtime" = 0 ] && lopts+=(--no-dir-mtime)
  if ! out=$(diff -u --label "$a" --label "$b" <(tree_listing "${lopts[@]}" "$a") <(tree_listing "${lopts[@]}" "$b")); then
    echo "compare_trees: metadata differs (path type mode uid gid size mtime nlink target):" >&2
    printf '%s\n' "$out" | head -n 60 >&2
    rc=1
  fi
  if [ "$xattr" = 1 ] && ! out=$(diff -u --label "$a" --label "$b" <(xattr_dump "$a") <(xattr_dump "$b")); then
    echo "compare_trees: xattrs differ:" >&2
    printf '%s\n' "$out" | head -n 40 >&2
    rc=1
  fi
  if [ "$acl" = 1 ] && ! out=$(diff -u --label "$a" --label "$b" <(acl_dump "$a") <(acl_dump "$b")); then
    echo "compare_trees: ACLs differ:" >&2
    printf '%s\n' "$out" | head -n 40 >&2
    rc=1
  fi
  return "$rc"
}

# ---- helpers for the pipeline, restore, pack, snap, diff, key, init and ls cases -----------
#   backup DIR [SNAP-ARGS...] [-- PACK-ARGS...]
#                                    set -o pipefail; cairn-snap DIR SNAP-ARGS | cairn-diff |
#                                    cairn-pack PACK-ARGS; pack's stdout is kept in ./pack.out;
#                                    prints the set id (fails unless it is 64 hex digits)
#   set_ids [SOURCE]                 the set ids `cairn ls --json` lists, one a line, in its order
#   ls_field SET FIELD               one field of SET's `cairn ls --json` line (SET: the full id)
#   repo_fingerprint [DIR]           "sha256  path" of every file in the repository, by path
#   file_blocks FILE                 bytes allocated to FILE (st_blocks * 512)
#   stream_begin FILE SOURCE         start a hand-made manifest stream (header, no roots)
#   stream_entry FILE JSON           append one entry line
#   stream_frames FILE CONTENT       append CONTENT's bytes as frames (1 MiB each) and "0"
#   stream_end FILE                  append the trailer: the entry count and the BLAKE2b-256
#                                    digest of every byte before it (b2sum -l 256)

backup() {  # backup DIR [SNAP-ARGS...] [-- PACK-ARGS...]
  local snap=() pack=() id
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do snap+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  pack=("$@")
  (set -o pipefail && cairn-snap "${snap[@]}" | cairn-diff | cairn-pack "${pack[@]}" >pack.out) \
    || { echo "error: backup ${snap[*]} failed" >&2; return 1; }
  id=$(head -n 1 pack.out)
  [[ $id =~ ^[0-9a-f]{64}$ ]] || { echo "error: cairn-pack printed '$id', not a set id" >&2; return 1; }
  echo "$id"
}

set_ids() {  # set_ids [SOURCE]
  cairn ls "$@" --json | "$CAIRN_PY" -c '
import json, sys
for line in sys.stdin:
    print(json.loads(line)["id"])'
}

ls_field() {  # ls_field SET FIELD
  cairn ls --json | "$CAIRN_PY" -c '
import json, sys
want, field = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in sys.stdin]
hit = [r for r in rows if r["id"] == want]
if len(hit) != 1:
    sys.exit("ls_field: set %s is listed %d times" % (want, len(hit)))
print(hit[0][field])' "$1" "$2"
}

repo_fingerprint() {  # repo_fingerprint [DIR]
  (cd "${1:-$CAIRN_REPO}" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

flip_byte() {  # flip_byte FILE OFFSET: invert every bit of one byte, so it always changes
  local b
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  [ -n "$b" ] || die "flip_byte: $1 has no byte at offset $2"
  # shellcheck disable=SC2059  # the format is the octal escape being built
  printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
file_blocks() { echo $(($(stat -c %b "$1") * 512)); }

stream_begin() {  # stream_begin FILE SOURCE
  printf '{"cairn":"manifest","version":[1,0],"set":{"source":"%s","host":"test","class":"daily","started_ns":%s,"roots":[]}}\n' \
    "$2" "$(date +%s%N)" >"$1"
  echo 0 >"$1.count"
}

stream_entry() {  # stream_entry FILE JSON
  printf '%s\n' "$2" >>"$1"
  echo $(($(cat "$1.count") + 1)) >"$1.count"
}

stream_frames() {  # stream_frames FILE CONTENT
  local size off=0 n
  size=$(stat -c %s "$2")
  while [ "$off" -lt "$size" ]; do
    n=$((size - off < 1048576 ? size - off : 1048576))
    printf '%d\n' "$n" >>"$1"
    tail -c +$((off + 1)) "$2" | head -c "$n" >>"$1"
    off=$((off + n))
  done
  printf '0\n' >>"$1"
}

stream_end() {  # stream_end FILE
  local digest
  digest=$(b2sum -l 256 <"$1" | cut -d' ' -f1)
  printf '{"end":true,"entries":%d,"digest":"%s"}\n' "$(cat "$1.count")" "$digest" >>"$1"
  rm -f "$1.count"
}
