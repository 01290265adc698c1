#!/bin/sh
# Runs build/release/surged (or $SURGED: another build, for a before/after run) on
# 127.0.0.1:$PORT, one worker, proxying every request to $BACKEND (bench/proxy.sh gives both).
# Access log and metrics off, as the peers run.
set -eu
config=$(mktemp /tmp/surged-proxy-XXXXXX.json)
cat > "$config" <<JSON
{"listen": ["127.0.0.1:$PORT"], "threads": 1, "metrics": {"enabled": false},
 "upstreams": {"backend": {"servers": [{"address": "$BACKEND"}],
                           "keepalive": {"idle_per_host": 1024, "max_requests": 0}}},
 "routes": [{"path": "/*path", "method": "*", "handler": {"type": "proxy", "upstream": "backend"}}]}
JSON
exec "${SURGED:-build/release/surged}" --config "$config"
