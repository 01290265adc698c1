#!/bin/sh
# The library as an embedder gets it: `cmake --install --component dev` into a DESTDIR, then the
# project in tests/deploy/consumer/ configured against it (find_package(surge) with only
# CMAKE_PREFIX_PATH pointing there), built, and run: it serves from the installed library on
# 127.0.0.1:0, drains and stops. Proves the exported targets, their dependencies
# (surgeConfig.cmake's find_dependency), the installed headers and static libraries.
# Usage: find_package_test.sh <cmake> <build dir> <C++ compiler> <generator>.
set -eu
. "$(dirname "$0")/common.sh"

cmake=${1:?usage: $0 <cmake> <build dir> <C++ compiler> <generator>}
build=${2:?}
cxx=${3:?}
generator=${4:?}
consumer=$(cd "$(dirname "$0")/consumer" && pwd)

root=$tmp/root
check "cmake --install --component dev --prefix /usr" \
  env DESTDIR="$root" "$cmake" --install "$build" --prefix /usr --component dev
expect "--component dev installs the CMake package" \
  -n "$(find "$root/usr" -path '*/cmake/surge/surgeConfig.cmake' 2>/dev/null)"
expect "--component dev installs no daemon" ! -e "$root/usr/sbin/surged"

check "configure the consumer with find_package(surge)" \
  "$cmake" -S "$consumer" -B "$tmp/consumer" -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$root/usr"
[ "$fail" -eq 0 ] || exit 1
check "build the consumer against surge::surge" "$cmake" --build "$tmp/consumer"
[ "$fail" -eq 0 ] || exit 1
check "run the consumer" "$tmp/consumer/consumer"

exit "$fail"
