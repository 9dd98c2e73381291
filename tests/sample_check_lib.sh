# What the sample check scripts of the pattern samples share; sourced, not run. The sourcing
# script sets `bin` and `case` first. Provides $out and $err (removed on exit), run (sets $rc)
# and fail.

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/stdout
err=$work/stderr

fail() {
  echo "FAIL ($case): $*" >&2
  echo "--- stdout (first 30 lines):" >&2
  head -n 30 "$out" >&2 || true
  echo "--- stderr:" >&2
  cat "$err" >&2 || true
  exit 1
}

# Runs the binary with the given arguments; sets $rc.
run() {
  rc=0
  "$bin" "$@" >"$out" 2>"$err" || rc=$?
}
