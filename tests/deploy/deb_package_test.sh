#!/bin/sh
# The Debian packages CPack builds from this build tree (cmake/SurgeInstall.cmake):
#   surge          surged, the units, /etc/surge/surge.json and /etc/logrotate.d/surge as
#                  conffiles, maintainer scripts that parse, Depends from dpkg-shlibdeps; unpacked,
#                  its unit's paths exist and its surged accepts its configuration
#   libsurge-dev   the headers and the CMake package
# Usage: deb_package_test.sh <cpack> <build dir>. Exits 77 without dpkg-deb (not a Debian system).
set -eu
. "$(dirname "$0")/common.sh"

cpack=${1:?usage: $0 <cpack> <build dir>}
build=${2:?usage: $0 <cpack> <build dir>}
skip_without dpkg-deb "the .deb is checked with it"

if ! "$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1; then
  echo "FAIL: cpack -G DEB"
  sed 's/^/    /' "$tmp/cpack.log"
  exit 1
fi
echo "ok: cpack -G DEB"
deb=$(ls "$tmp"/out/surge_*.deb)
dev=$(ls "$tmp"/out/libsurge-dev_*.deb)

# contains DEB PATH...: dpkg-deb -c lists every PATH.
contains() {
  pkg=$1
  shift
  dpkg-deb -c "$pkg" | awk '{ print $6 }' >"$tmp/contents"
  for path in "$@"; do
    expect "${pkg##*/} contains $path" -n "$(grep -x "\\./${path#/}" "$tmp/contents")"
  done
}

contains "$deb" /usr/sbin/surged /etc/surge/surge.json /usr/lib/systemd/system/surged.service \
  /usr/lib/systemd/system/surged.socket /etc/logrotate.d/surge
contains "$dev" /usr/include/surge/server.hpp
expect "libsurge-dev contains the CMake package" \
  -n "$(dpkg-deb -c "$dev" | awk '{ print $6 }' | grep '/cmake/surge/surgeConfig\.cmake$')"

expect "the package is named surge" "$(dpkg-deb -f "$deb" Package)" = surge
depends=$(dpkg-deb -f "$deb" Depends)
echo "    Depends: $depends"
expect "Depends names libc6" -n "$(printf '%s' "$depends" | grep libc6)"

dpkg-deb -e "$deb" "$tmp/control"
expect "conffiles lists /etc/surge/surge.json" -n "$(grep -x /etc/surge/surge.json "$tmp/control/conffiles")"
expect "conffiles lists /etc/logrotate.d/surge" -n "$(grep -x /etc/logrotate.d/surge "$tmp/control/conffiles")"
for script in postinst prerm postrm; do
  expect "$script is executable" -x "$tmp/control/$script"
  check "$script parses (sh -n)" sh -n "$tmp/control/$script"
done

dpkg-deb -x "$deb" "$tmp/root"
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$tmp/root/usr/lib/systemd/system/surged.service")
expect "the packaged unit's ExecStart ($exec_start) is in the package" -x "$tmp/root$exec_start"
check "the packaged surged accepts the packaged configuration" \
  "$tmp/root$exec_start" --check-config --config "$tmp/root/etc/surge/surge.json"

exit "$fail"
