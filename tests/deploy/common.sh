# Sourced by the tests/deploy/*_test.sh scripts that check what an install or a deploy file
# produces. Each check prints "ok: ..." or "FAIL: ..." and a failed one sets fail=1; the script
# ends with `exit "$fail"`. Exit 77 is CTest's SKIP_RETURN_CODE for a missing tool.

fail=0

# check DESCRIPTION COMMAND...: runs COMMAND; prints its output, indented, when it fails.
check() {
  what=$1
  shift
  if out=$("$@" 2>&1); then
    echo "ok: $what"
  else
    echo "FAIL: $what"
    printf '%s\n' "$out" | sed 's/^/    /'
    fail=1
  fi
}

# expect DESCRIPTION TEST-ARGS...: `test TEST-ARGS` must hold.
expect() {
  what=$1
  shift
  if test "$@"; then
    echo "ok: $what"
  else
    echo "FAIL: $what"
    fail=1
  fi
}

# skip_without TOOL WHY: exits 77 unless TOOL is on the PATH.
skip_without() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "SKIP: $1 is not installed ($2)"
    exit 77
  fi
}

# A temporary directory, removed on exit: $tmp.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
