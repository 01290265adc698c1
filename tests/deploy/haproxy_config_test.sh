#!/bin/sh
# deploy/haproxy.cfg, checked by the installed haproxy (Debian's haproxy package; not a
# dependency of the suite): `haproxy -c` must accept it without a warning. And the drain
# arithmetic its comments promise: haproxy marks an instance DOWN within
# inter + (fall - 1) x fastinter, which must stay below the drain_delay_ms the file recommends.
# Usage: haproxy_config_test.sh <deploy dir>. Exits 77 without haproxy.
set -eu
. "$(dirname "$0")/common.sh"

deploy=${1:?usage: $0 <deploy dir>}
cfg=$deploy/haproxy.cfg
skip_without haproxy "apt-get install haproxy to run this check"

if out=$(haproxy -c -f "$cfg" 2>&1) && ! printf '%s\n' "$out" | grep -q 'WARNING\|ALERT'; then
  echo "ok: haproxy -c -f haproxy.cfg"
else
  echo "FAIL: haproxy -c -f haproxy.cfg"
  printf '%s\n' "$out" | sed 's/^/    /'
  fail=1
fi

# ms VALUE: an haproxy time ("2s", "500ms", "2000") in milliseconds.
ms() {
  case $1 in
    *ms) echo "${1%ms}" ;;
    *s) echo $(( ${1%s} * 1000 )) ;;
    *) echo "$1" ;;
  esac
}
# param NAME: the value following NAME on the default-server line.
param() {
  sed -n "s/^ *default-server .*[[:space:]]$1 \([0-9a-z]*\).*/\1/p" "$cfg"
}
inter=$(ms "$(param inter)")
fastinter=$(ms "$(param fastinter)")
fall=$(param fall)
drain=$(sed -n 's/.*"drain_delay_ms": \([0-9]*\).*/\1/p' "$cfg" | head -n 1)
if [ -z "$inter" ] || [ -z "$fastinter" ] || [ -z "$fall" ] || [ -z "$drain" ]; then
  echo "FAIL: cannot read inter, fastinter, fall and the recommended drain_delay_ms from haproxy.cfg"
  fail=1
else
  down=$(( inter + (fall - 1) * fastinter ))
  expect "marked DOWN within ${down} ms < recommended drain_delay_ms ${drain}" "$down" -lt "$drain"
fi

exit "$fail"
