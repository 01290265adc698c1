#!/bin/sh
# deploy/sysctl.conf and deploy/logrotate.conf:
#   sysctl.conf     every line is `key = value` (or a comment) and names a setting this kernel
#                   has (/proc/sys/...); nothing is applied
#   logrotate.conf  `logrotate --debug` parses it (a dry run; with its own state file), where
#                   logrotate is installed
# Usage: host_files_test.sh <deploy dir>.
set -eu
. "$(dirname "$0")/common.sh"

deploy=${1:?usage: $0 <deploy dir>}

bad=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' -e '^[a-z0-9_.-]* = [0-9][0-9 ,]*$' \
  "$deploy/sysctl.conf" || true)
expect "sysctl.conf has only 'key = value' lines${bad:+: $bad}" -z "$bad"
if [ -d /proc/sys/net ]; then
  for key in $(sed -n 's/^\([a-z0-9_.-]*\) = .*/\1/p' "$deploy/sysctl.conf"); do
    expect "sysctl $key exists" -e "/proc/sys/$(printf '%s' "$key" | tr . /)"
  done
else
  echo "skipped: /proc/sys/net is not mounted; sysctl names not checked"
fi

if command -v logrotate >/dev/null 2>&1; then
  check "logrotate --debug logrotate.conf" logrotate --debug --state "$tmp/state" "$deploy/logrotate.conf"
else
  echo "skipped: logrotate is not installed; logrotate.conf not parsed"
fi

exit "$fail"
