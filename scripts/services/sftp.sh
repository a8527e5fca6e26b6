#!/usr/bin/env bash
# scripts/services/sftp.sh start|stop|restart|env|status
# A private OpenSSH sshd on 127.0.0.1:$CAIRN_SFTP_PORT (default 2222) serving internal-sftp,
# with its own host key, config and an ed25519 client key allowed to log in as the current
# user (root in CI). ed25519, because Debian 12's libssh2 1.10 signs RSA only with SHA-1,
# which OpenSSH 9.2 refuses. Keys survive restarts, so the host fingerprint stays the same.
# Prints: SFTP_HOST SFTP_PORT SFTP_USER SFTP_KEY SFTP_PUBKEY SFTP_ROOT (a writable folder),
#   SFTP_URL (sftp://host:port/<SFTP_ROOT>), SFTP_HOST_SHA256 (base64, for
#   CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256 / curl --hostpubsha256), SFTP_KNOWN_HOSTS, and for
#   cairn: CAIRN_SSH_KEY CAIRN_SSH_KNOWN_HOSTS CAIRN_SSH_HOST_SHA256, and
#   CAIRN_TEST_SFTP_URL=sftp://<user>@127.0.0.1:<port><SFTP_ROOT> (turns on the SFTP
#   integration tests).
# Always pin the host key: without it, libcurl accepts any host.
set -euo pipefail
svc_name=sftp
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

port=${CAIRN_SFTP_PORT:-2222}
svc_state=$CAIRN_SVC_ROOT/sftp-$port
user=$(id -un)
sshd=/usr/sbin/sshd

host_sha256() {
  [ -f "$svc_state/host_key.pub" ] || return 0
  ssh-keygen -l -E sha256 -f "$svc_state/host_key.pub" | awk '{print $2}' | sed 's/^SHA256://'
}

svc_print_env() {
  svc_export SFTP_HOST 127.0.0.1
  svc_export SFTP_PORT "$port"
  svc_export SFTP_USER "$user"
  svc_export SFTP_KEY "$svc_state/client_key"
  svc_export SFTP_PUBKEY "$svc_state/client_key.pub"
  svc_export SFTP_ROOT "$svc_state/data"
  svc_export SFTP_URL "sftp://127.0.0.1:$port$svc_state/data"
  svc_export SFTP_HOST_SHA256 "$(host_sha256)"
  svc_export SFTP_KNOWN_HOSTS "$svc_state/known_hosts"
  svc_export CAIRN_SSH_KEY "$svc_state/client_key"
  svc_export CAIRN_SSH_KNOWN_HOSTS "$svc_state/known_hosts"
  svc_export CAIRN_SSH_HOST_SHA256 "$(host_sha256)"
  svc_export CAIRN_TEST_SFTP_URL "sftp://$user@127.0.0.1:$port$svc_state/data"
}

svc_is_running() { svc_running "$svc_state/sshd.pid" && svc_port_open "$port"; }

listing_works() {  # a real login and directory listing, with the host key pinned
  curl -sS -o /dev/null --connect-timeout 5 --key "$svc_state/client_key" -u "$user:" \
    --hostpubsha256 "$(host_sha256)" "sftp://127.0.0.1:$port$svc_state/data/" 2>/dev/null
}

svc_do_start() {
  [ -x "$sshd" ] || svc_packages openssh-server
  command -v ssh-keygen >/dev/null 2>&1 || svc_packages openssh-client
  command -v curl >/dev/null 2>&1 || svc_packages curl
  mkdir -p "$svc_state/data"
  chmod 700 "$svc_state"
  local k
  for k in host_key client_key; do
    [ -f "$svc_state/$k" ] || ssh-keygen -q -t ed25519 -N '' -C "cairn-test-$k" -f "$svc_state/$k" </dev/null
  done
  install -m 600 "$svc_state/client_key.pub" "$svc_state/authorized_keys"
  echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$svc_state/host_key.pub")" >"$svc_state/known_hosts"
  cat >"$svc_state/sshd_config" <<EOF
# test sshd written by scripts/services/sftp.sh; only loopback, only keys, only sftp
ListenAddress 127.0.0.1:$port
HostKey $svc_state/host_key
PidFile none
AuthorizedKeysFile $svc_state/authorized_keys
AllowUsers $user
# the keys live under /tmp, whose parent is world-writable: StrictModes would refuse them
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
DisableForwarding yes
PermitTTY no
PrintMotd no
MaxStartups 64
MaxSessions 64
ForceCommand internal-sftp
Subsystem sftp internal-sftp
LogLevel VERBOSE
EOF
  mkdir -p /run/sshd 2>/dev/null && chmod 755 /run/sshd 2>/dev/null || true   # privilege separation dir
  "$sshd" -t -f "$svc_state/sshd_config" || svc_fail "sshd rejects $svc_state/sshd_config"
  svc_port_free "$port"
  # -D keeps sshd in the foreground, so the recorded pid is the listener itself
  svc_spawn "$svc_state/sshd.pid" "$svc_state/sshd.out" "$sshd" -D -f "$svc_state/sshd_config" -E "$svc_state/sshd.log"
  svc_wait 30 "sshd listening on :$port" svc_port_open "$port"
  svc_wait 30 "sftp listing with the test key" listing_works
}

svc_do_stop() { svc_kill "$svc_state/sshd.pid"; }

svc_main "$@"
