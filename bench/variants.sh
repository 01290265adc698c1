#!/bin/sh
# The cost of surged's optional features, as ratios in one run of ../shared/bench/compare: the
# shipped config (metrics on, access log off) against metrics off, the JSON access log to a file,
# and a per-IP rate limit plus a closed circuit breaker on /plaintext (bench/protection.json).
#   bench/variants.sh
#   ROUNDS=5 WORKLOADS=plaintext,json bench/variants.sh
set -eu
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
surged() {
  echo "exec build/release/surged --config $1 --listen 127.0.0.1:\$PORT --threads 1"
}
exec ../shared/bench/compare --rounds "${ROUNDS:-3}" --no-build \
  --workloads "${WORKLOADS:-plaintext}" \
  default="$(surged config/surge.json)" \
  metrics-off="$(surged bench/metrics_off.json)" \
  json-access-log="$(surged bench/access_log_json.json)" \
  protection="$(surged bench/protection.json)"
