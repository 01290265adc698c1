#!/bin/sh
# Side-by-side with the peers (../shared/bench/compare), surged built as the README builds it and
# run as users run it: the shipped config/surge.json, one worker pinned by the harness.
#   bench/compare.sh
#   ROUNDS=5 WORKLOADS=json,params PEERS="nginx h2o" bench/compare.sh
set -eu
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
# shellcheck disable=SC2086
exec ../shared/bench/compare --rounds "${ROUNDS:-3}" \
  --workloads "${WORKLOADS:-plaintext,plaintext@256,pipelined,json,params,close}" \
  surged='exec build/release/surged --config config/surge.json --listen 127.0.0.1:$PORT --threads 1' \
  ${PEERS:-nginx fasthttp limit}
