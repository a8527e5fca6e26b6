#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# S3 credentials from the shared credentials file, as the AWS tools read it: the profile
# AWS_PROFILE (else "default") of AWS_SHARED_CREDENTIALS_FILE (else ~/.aws/credentials), the
# environment's keys first. A profile with a session token pushes too (the proxy keeps no
# record of the token; unit:backend's s3_test checks the x-amz-security-token header). A
# profile the file lacks, and a named file that does not exist, are one stderr line naming
# the destination and exit 12. Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"
need_services

start_service s3 19470
export CAIRN_S3_ENDPOINT=$S3_ENDPOINT
key=$S3_ACCESS_KEY secret=$S3_SECRET_KEY
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
make_repo
mkdir src
gen_file src/f 64K 1
backup src --source app >/dev/null
url=s3://$S3_BUCKET/profile

# as the examples have it (examples/crontab/cairn): a named file, its default profile
(umask 077 && cat >creds <<INI
# the AWS CLI's format
[default]
aws_access_key_id = $key
aws_secret_access_key = $secret

[backup]
aws_access_key_id=$key
aws_secret_access_key=$secret
aws_session_token=token-of-the-backup-profile
[wrong]
aws_access_key_id = $key
aws_secret_access_key = not-the-secret
INI
)
AWS_SHARED_CREDENTIALS_FILE=$PWD/creds cairn-push --all "$url/a" >/dev/null
echo "AWS_SHARED_CREDENTIALS_FILE, default profile: pushed"

AWS_SHARED_CREDENTIALS_FILE=$PWD/creds AWS_PROFILE=backup cairn-push --all "$url/b" >/dev/null
echo "AWS_PROFILE=backup: pushed, with its session token"  # the header: unit:backend s3_test

expect_refused 12 "$url/c" env AWS_SHARED_CREDENTIALS_FILE="$PWD/creds" AWS_PROFILE=wrong \
  cairn-push --all "$url/c"
grep -q 'HTTP 403' last.stderr || die "the wrong profile's secret was not used: $(cat last.stderr)"
echo "AWS_PROFILE=wrong: its secret is used (exit 12)"

expect_refused 12 "$url/d" env AWS_SHARED_CREDENTIALS_FILE="$PWD/creds" AWS_PROFILE=nope \
  cairn-push --all "$url/d"
expect_stderr "the AWS profile 'nope' is not in '$PWD/creds' \(it has: default, backup, wrong\)"
echo "AWS_PROFILE=nope: exit 12, one line naming the profiles"

expect_refused 12 "$url/e" env AWS_SHARED_CREDENTIALS_FILE="$PWD/missing" cairn-push --all "$url/e"
expect_stderr "'$PWD/missing' does not exist"
echo "a missing credentials file: exit 12, one line"

# the environment first, as for the AWS CLI: a wrong profile is not even read
AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SHARED_CREDENTIALS_FILE=$PWD/creds \
  AWS_PROFILE=nope cairn-push --all "$url/f" >/dev/null
echo "environment keys before the file: pushed"

# ~/.aws/credentials when no file is named
mkdir -p "$HOME/.aws"
cp creds "$HOME/.aws/credentials"
cairn-push --all "$url/g" >/dev/null
echo "~/.aws/credentials: pushed"
