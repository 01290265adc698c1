#!/bin/sh
# `cmake --install` of a build tree, as a package or an operator does it, into a DESTDIR:
#   --prefix /usr        surged in /usr/sbin, /etc/surge/surge.json, the units in
#                        /usr/lib/systemd/system, /etc/logrotate.d/surge; every path the unit
#                        names (ExecStartPre, ExecStart, ExecReload, --config) exists in the tree;
#                        the installed surged accepts the installed configuration (--check-config)
#   --prefix /usr/local  the installed unit names /usr/local/sbin/surged, which is there; the
#                        configuration stays /etc/surge/surge.json (the unit's
#                        ConfigurationDirectory=)
# Usage: install_test.sh <cmake> <build dir>. Uses whatever build type the tree has.
set -eu
. "$(dirname "$0")/common.sh"

cmake=${1:?usage: $0 <cmake> <build dir>}
build=${2:?usage: $0 <cmake> <build dir>}

# install_into ROOT PREFIX [cmake --install options]
install_into() {
  root=$1
  prefix=$2
  shift 2
  if ! DESTDIR=$root "$cmake" --install "$build" --prefix "$prefix" "$@" >"$tmp/install.log" 2>&1; then
    echo "FAIL: cmake --install $build --prefix $prefix${*:+ $*}"
    sed 's/^/    /' "$tmp/install.log"
    exit 1
  fi
  echo "ok: cmake --install --prefix $prefix${*:+ $*} (DESTDIR=$root)"
}

# check_unit_paths ROOT UNIT: every absolute path the service's Exec*= lines run, and the file
# each --config names, exist in ROOT (except /bin/kill, which the system provides).
check_unit_paths() {
  root=$1
  unit=$2
  sed -n 's/^\(Exec[A-Za-z]*\)=[-@:+!]*/\1 /p' "$unit" | while read -r key binary args; do
    [ "$binary" = /bin/kill ] && continue
    if [ -x "$root$binary" ]; then echo "ok: $key runs $binary: installed"; else echo "FAIL: $key runs $binary: not installed"; fi
    config=$(printf '%s\n' "$args" | sed -n 's/.*--config \([^ ]*\).*/\1/p')
    [ -z "$config" ] && continue
    if [ -f "$root$config" ]; then echo "ok: $key reads $config: installed"; else echo "FAIL: $key reads $config: not installed"; fi
  done >"$tmp/paths.log"
  cat "$tmp/paths.log"
  grep -q '^FAIL' "$tmp/paths.log" && fail=1
  grep -q '^ok: .*surged' "$tmp/paths.log" || { echo "FAIL: no surged command found in $unit"; fail=1; }
}

usr=$tmp/usr-root
install_into "$usr" /usr
units=$usr/usr/lib/systemd/system
expect "/usr/sbin/surged is executable" -x "$usr/usr/sbin/surged"
expect "/etc/surge/surge.json is installed" -f "$usr/etc/surge/surge.json"
expect "surged.service is in /usr/lib/systemd/system" -f "$units/surged.service"
expect "surged.socket is in /usr/lib/systemd/system" -f "$units/surged.socket"
expect "/etc/logrotate.d/surge is installed" -f "$usr/etc/logrotate.d/surge"
expect "the library's headers are installed" -f "$usr/usr/include/surge/server.hpp"
[ -f "$units/surged.service" ] && check_unit_paths "$usr" "$units/surged.service"
check "the installed surged accepts the installed /etc/surge/surge.json" \
  "$usr/usr/sbin/surged" --check-config --config "$usr/etc/surge/surge.json"

local_root=$tmp/local-root
install_into "$local_root" /usr/local --component daemon
local_unit=$local_root/usr/local/lib/systemd/system/surged.service
expect "surged.service is in /usr/local/lib/systemd/system" -f "$local_unit"
if [ -f "$local_unit" ]; then
  check_unit_paths "$local_root" "$local_unit"
  expect "the /usr/local unit runs /usr/local/sbin/surged" \
    "$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$local_unit")" = /usr/local/sbin/surged
fi
expect "--component daemon installs no headers" ! -e "$local_root/usr/local/include/surge"

exit "$fail"
