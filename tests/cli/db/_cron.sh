# shellcheck shell=bash
# tests/cli/db/_cron.sh: running an example crontab's jobs as cron would (sourced after lib.sh).
#
#   cron_load FILE [SED-ARGS...]   read FILE (_cron.py checks every line), with the sed
#                                  expressions applied to it (pointing paths at scratch space);
#                                  its NAME=VALUE lines become the jobs' environment (cron_env,
#                                  to which a case may append its stand-ins)
#   cron_job PATTERN               run the first job whose line matches PATTERN: as its user
#                                  when we are root (as ourselves otherwise), with only cron_env,
#                                  under /bin/bash -c, from /; stdout in ./cron.out, stderr in
#                                  ./cron.err; fails the case when the job fails

cron_load() {
  local file=$1
  shift
  "$CAIRN_PY" "$CAIRN_CASE_DIR/_cron.py" "$file" >cron.parsed || die "'$file' is not a valid crontab"
  sed "$@" cron.parsed >cron.lines
  mapfile -t cron_env < <(sed -n 's/^ENV //p' cron.lines)
  cron_env+=(HOME=/tmp LOGNAME=cron)
}

cron_job() {
  local line user cmd rc=0 out=$PWD/cron.out err=$PWD/cron.err
  line=$(grep -m 1 -- "^JOB .*$1" cron.lines) || die "no crontab job matches '$1'"
  read -r _ user cmd <<<"$line"
  if is_root && [ "$user" != root ]; then
    (cd / && runuser -u "$user" -- env -i "${cron_env[@]}" /bin/bash -c "$cmd") >"$out" 2>"$err" || rc=$?
  else
    (cd / && env -i "${cron_env[@]}" /bin/bash -c "$cmd") >"$out" 2>"$err" || rc=$?
  fi
  [ "$rc" = 0 ] || { cat "$out" "$err" >&2; die "crontab job '$cmd' exited $rc"; }
}
