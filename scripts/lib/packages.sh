# shellcheck shell=bash
# scripts/lib/packages.sh: the Debian packages cairn needs, and one function that installs
# whichever of them are missing. Sourced by scripts/test and scripts/quickstart.
#
#   . scripts/lib/packages.sh
#   cairn_ensure_packages "${CAIRN_BUILD_PACKAGES[@]}"
#
# Nothing is run when every package is already installed (a dpkg-query check), so local
# reruns cost nothing. Otherwise: apt-get update (retried: another apt may hold the lists
# lock), then apt-get install --no-install-recommends, waiting up to 10 minutes for dpkg's
# lock. Needs root, or a password-less sudo. apt's chatter goes to $CAIRN_APT_LOG.

# Build and test dependencies (compilers, libraries, and the tools the tests call).
CAIRN_BUILD_PACKAGES=(
  cmake g++ ninja-build pkg-config
  libcli11-dev libarchive-dev libzstd-dev libsodium-dev libcurl4-openssl-dev libsqlite3-dev
  libfmt-dev catch2 nlohmann-json3-dev libtomlplusplus-dev libacl1-dev libattr1-dev libssl-dev
  scdoc
  clang libclang-rt-14-dev
  zstd tar attr acl python3 curl
  sqlite3  # tests/cli/catalog: edit a catalog file as its holder would
  systemd python3-yaml util-linux  # examples: systemd-analyze verify, YAML manifests, flock
  python3-aiosmtpd  # tests/cli/notify: the SMTP server alerts are sent to (RFC 5321)
  python3-jsonschema  # tests/cli/report: the cairn report --json document against its JSON Schema
  gdb  # tests/cli/restore/no-secrets-in-core: gcore of a running restore
  libbenchmark-dev  # tests/bench/bench_micro (Google Benchmark)
  faketime strace  # tests/cli: clock-skew cases (faketime), crash-point sweeps (strace -e inject)
  clang-format  # meta:format (scripts/check-format.sh): the layout .clang-format sets
  libfuse3-dev  # cairn mount (lib/mount)
  libisal-dev  # erasure-coded parity (lib/repo/parity.cpp): Intel ISA-L Reed-Solomon
  fuse3  # tests/cli/mount: fusermount3
  zsh fish  # meta/completion: the generated zsh and fish completion scripts load and answer
)

# Servers the integration tests start on 127.0.0.1 (see scripts/services/). s3rver and
# Azurite come from npm; scripts/services/*.sh install them (and nodejs/npm) themselves.
CAIRN_SERVICE_PACKAGES=(
  openssh-server openssh-client
  redis-server redis-tools
  postgresql postgresql-client
)

CAIRN_APT_LOG=${CAIRN_APT_LOG:-${TMPDIR:-/tmp}/cairn-apt.log}

cairn_missing_packages() {  # prints the packages among "$@" that are not installed, one a line
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' ok installed$' || printf '%s\n' "$p"
  done
}

_cairn_as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n env DEBIAN_FRONTEND=noninteractive "$@"
  else
    echo "packages: need root (or password-less sudo) to run: $*" >&2
    return 1
  fi
}

_cairn_apt() {  # _cairn_apt ARGS...: apt-get, quiet, non-interactive, waiting for dpkg's lock
  _cairn_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get -q -y -o DPkg::Lock::Timeout=600 "$@" </dev/null >>"$CAIRN_APT_LOG" 2>&1
}

_cairn_apt_update() {  # the lists lock is not covered by DPkg::Lock::Timeout: retry
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    _cairn_apt update && return 0
    echo "packages: apt-get update failed (try $i/10), retrying in 6 s" >&2
    sleep 6
  done
  return 1
}

cairn_ensure_packages() {  # cairn_ensure_packages PKG...: installs the missing ones
  local missing
  mapfile -t missing < <(cairn_missing_packages "$@")
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "packages: installing ${missing[*]} (log: $CAIRN_APT_LOG)" >&2
  : >>"$CAIRN_APT_LOG"
  # Keep the packages' maintainer scripts from starting the distribution's own daemons
  # (sshd on :22, redis on :6379): our tests start private instances on other ports.
  local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
  if [ "$(id -u)" = 0 ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  if ! _cairn_apt_update; then
    echo "packages: apt-get update kept failing; trying the install with the current lists" >&2
  fi
  if ! _cairn_apt install --no-install-recommends "${missing[@]}"; then
    _cairn_apt_update || true
    _cairn_apt install --no-install-recommends "${missing[@]}" || rc=1
  fi
  [ "$made_policy" = 1 ] && rm -f "$policy"
  if [ "$rc" != 0 ]; then
    tail -n 30 "$CAIRN_APT_LOG" >&2
    echo "packages: apt-get install ${missing[*]} failed" >&2
    return 1
  fi
  mapfile -t missing < <(cairn_missing_packages "$@")
  if [ "${#missing[@]}" -ne 0 ]; then
    echo "packages: still missing after install: ${missing[*]}" >&2
    return 1
  fi
}
