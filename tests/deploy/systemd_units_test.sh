#!/bin/sh
# Checks deploy/surged.service and deploy/surged.socket with the installed systemd's own tools:
#   systemd-analyze verify                    unit syntax, known keys, Exec*= binaries, references
#   systemd-analyze security --offline=yes    the sandbox's exposure score, which must stay <= 3.0
# Usage: systemd_units_test.sh <deploy dir>. Exits 77 (CTest SKIP_RETURN_CODE) when systemd-analyze
# or its --offline mode is missing. Reads only files; no network, no running systemd needed.
set -eu

deploy=${1:?usage: $0 <deploy dir>}
max_exposure=3.0

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze is not installed"
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# verify fails a unit whose Exec*= binary does not exist, and surged is not installed where tests
# run. Point the copies at /bin/true (present everywhere, ignores its arguments) so every other
# check still applies; /bin/kill in ExecReload= stays as written and must exist. The copies sit
# side by side so verify can resolve the socket's Service=surged.service.
sed -e 's|/usr/sbin/surged|/bin/true|g' "$deploy/surged.service" > "$tmp/surged.service"
cp "$deploy/surged.socket" "$tmp/surged.socket"
cd "$tmp"

fail=0

# verify exits 0 on unknown keys and unparsable values (it logs them and ignores the line), so any
# line that names one of our units fails the test too.
if ! out=$(systemd-analyze verify --man=no ./surged.socket ./surged.service 2>&1); then
  echo "FAIL: systemd-analyze verify exited non-zero:"
  echo "$out"
  fail=1
elif printf '%s\n' "$out" | grep -q 'surged\.'; then
  echo "FAIL: systemd-analyze verify complained:"
  echo "$out"
  fail=1
else
  echo "ok: systemd-analyze verify surged.socket surged.service"
fi

if ! systemd-analyze --help 2>/dev/null | grep -q -- '--offline'; then
  echo "SKIP: this systemd-analyze has no --offline (systemd < 250); verify result above"
  [ "$fail" -eq 0 ] && exit 77
  exit 1
fi

out=$(systemd-analyze security --no-pager --offline=yes ./surged.service 2>&1) || true
score=$(printf '%s\n' "$out" |
        sed -n 's/.*Overall exposure level for surged\.service: \([0-9][0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
  echo "FAIL: no overall exposure level in systemd-analyze security output:"
  echo "$out"
  fail=1
elif awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s + 0 <= m + 0) }'; then
  echo "ok: exposure level $score <= $max_exposure"
else
  printf '%s\n' "$out" | grep -v '^✓' || true
  echo "FAIL: exposure level $score > $max_exposure"
  fail=1
fi

exit "$fail"
