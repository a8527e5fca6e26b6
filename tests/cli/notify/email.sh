#!/usr/bin/env bash
# A failing cairn-verify (exit 4) with --notify mailto:...?smtp=smtp://127.0.0.1:PORT: the
# message arrives at a real SMTP server (aiosmtpd from Debian's python3-aiosmtpd, started
# here) with the right envelope, To, From and Subject; the exit status is still 4. Then the
# same through a server that requires AUTH: the credentials come from CAIRN_SMTP_USER and
# CAIRN_SMTP_PASSWORD_FILE; a wrong password is one "cannot notify" line and changes nothing.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"
need_aiosmtpd

broken_repo
start_receiver smtp mail
port=$receiver_port
expect_exit 4 cairn-verify --read-data \
  --notify "mailto:ops@example.org,dba@example.org?smtp=smtp://127.0.0.1:$port&from=cairn@backup.example.org"
expect_stderr '^cairn-verify: error: damage found: '
if grep -q 'cannot notify' last.stderr; then die "notifying failed: $(cat last.stderr)"; fi

show_mail() {  # show_mail N DIR: the envelope and headers, the hostname replaced by HOST
  "$CAIRN_PY" - "$2/$1.eml" "$2/$1.envelope.json" <<'PY'
import email, email.policy, json, socket, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
env = json.load(open(sys.argv[2]))
host = socket.gethostname()
print("envelope from:", env["mail_from"])
print("envelope to:", " ".join(env["rcpt_tos"]))
for h in ("From", "To", "Subject", "X-Cairn-Tool", "X-Cairn-Exit-Code"):
    print("%s: %s" % (h, str(msg[h]).replace(host, "HOST")))
for h in ("Date", "Message-ID"):
    print("%s: %s" % (h, "present" if msg[h] else "MISSING"))
body = msg.get_content()
print("body names the failure:", "cairn-verify failed on %s with exit status 4 (damage found)" % host in body)
PY
}
echo "messages: $(find mail -name '*.eml' | wc -l)"
show_mail 001 mail

# With AUTH.
mkdir -p authmail
echo "cairn:s3cret pw" >authmail/auth
start_receiver smtp authmail
aport=$receiver_port
printf 's3cret pw\n' >pw
chmod 600 pw
target="mailto:ops@example.org?smtp=smtp://127.0.0.1:$aport"
CAIRN_SMTP_USER=cairn CAIRN_SMTP_PASSWORD_FILE=$PWD/pw expect_exit 4 cairn-verify --read-data --notify "$target"
expect_stderr '^cairn-verify: error: damage found: '
if grep -q 'cannot notify' last.stderr; then die "notifying with AUTH failed: $(cat last.stderr)"; fi
echo "with AUTH: $(find authmail -name '*.eml' | wc -l) message, login $(cat authmail/001.login)"
printf 'wrong\n' >pw
CAIRN_SMTP_USER=cairn CAIRN_SMTP_PASSWORD_FILE=$PWD/pw expect_exit 4 cairn-verify --read-data --notify "$target"
grep -q "^cairn-verify: cannot notify 'mailto:ops@example.org?smtp=smtp://127.0.0.1:$aport': " last.stderr \
  || die "a refused login was not reported: $(cat last.stderr)"
if grep -q wrong last.stderr; then die "the password was printed"; fi
echo "wrong password: reported, $(find authmail -name '*.eml' | wc -l) message in all"
