#!/bin/sh
# surged as a reverse proxy side by side with nginx-proxy and haproxy (../shared/bench/compare's
# proxy workloads), every one forwarding to the harness's `limit` backend on $BACKEND:
#   bench/proxy.sh
#   ROUNDS=5 WORKLOADS=proxy bench/proxy.sh
# surged runs as users run it: a configuration file with an "upstreams" entry and a proxy route.
set -eu
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
# shellcheck disable=SC2016,SC2086
exec ../shared/bench/compare --rounds "${ROUNDS:-3}" --workloads "${WORKLOADS:-proxy,proxy-close}" \
  surged='exec bench/proxy_surged.sh' ${PEERS:-nginx-proxy haproxy limit}
