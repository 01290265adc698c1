#!/bin/sh
# Installs the Debian 12 packages surge needs that are missing; does nothing (fast) when none are.
#   deploy/install-deps.sh          to build and run surged
#   deploy/install-deps.sh --test   also what the test suite needs (GoogleTest, nginx, Prometheus)
set -eu

packages="g++ cmake ninja-build ccache pkg-config libboost1.81-dev nlohmann-json3-dev libspdlog-dev
          prometheus-cpp-dev zlib1g-dev libdeflate-dev libzstd-dev libbrotli-dev"
if [ "${1:-}" = "--test" ]; then
  # nginx-light and prometheus: real peers for the load-balancer and metrics tests;
  # systemd: systemd-analyze checks the unit files; curl/python3: small test helpers;
  # python3-yaml: parses deploy/kubernetes/; clang and libclang-rt-14-dev (libFuzzer's
  # libclang_rt.fuzzer-x86_64.a): the fuzz preset.
  packages="$packages libgtest-dev libgmock-dev libbenchmark-dev nginx-light prometheus systemd curl python3
            python3-yaml clang libclang-rt-14-dev"
fi

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing:$missing"
# The tests start their own nginx and Prometheus; keep the packages from starting system services.
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && created_policy=1
fi
trap '[ -n "$created_policy" ] && $sudo rm -f "$policy"' EXIT
$sudo apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
