#!/bin/sh
# Checks deploy/prometheus.yml, deploy/alerts.yml and deploy/alerts_test.yml with the installed
# promtool (Debian's prometheus package):
#   promtool check config   the scrape configuration, and the rule files it names
#   promtool check rules    rule syntax and PromQL, duplicate rules are errors (--lint-fatal)
#   promtool test rules     the alerts fire (and stay silent) on the series in alerts_test.yml
# That the metric names in the alerts and the Grafana dashboard exist is checked against a real
# scrape by tests/integration/prometheus_test.cpp.
# Usage: prometheus_files_test.sh <deploy dir>. Exits 77 (CTest SKIP_RETURN_CODE) without promtool.
set -eu

deploy=${1:?usage: $0 <deploy dir>}

if ! command -v promtool >/dev/null 2>&1; then
  echo "SKIP: promtool is not installed (deploy/install-deps.sh --test installs it)"
  exit 77
fi

fail=0
check() {
  if out=$("$@" 2>&1); then
    echo "ok: $*"
  else
    echo "FAIL: $*"
    fail=1
  fi
  printf '%s\n' "$out" | sed 's/^/    /'
}

# promtool resolves rule_files and the tests' rule_files relative to the file that names them.
cd "$deploy"
check promtool check config prometheus.yml
check promtool check rules --lint=all --lint-fatal alerts.yml
check promtool test rules alerts_test.yml

exit "$fail"
