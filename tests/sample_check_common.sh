# Sourced by every tests/sample_<program>_check.sh: the arguments, a scratch directory, `run` and
# `fail`. Usage of a check script: sample_<program>_check.sh BINARY CASE EXPECTED_DIR
set -euo pipefail

bin=$1
case=$2
expected_dir=${3:-} # not every check has expected files

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

# Runs the binary with each argument string in turn (word-split) and compares stdout with
# $expected_dir/$1. usage: expect_output FILE ARGS...
expect_output() {
  local file=$1 args
  shift
  for args in "$@"; do
    # shellcheck disable=SC2086  # each entry is a list of words on purpose
    run $args
    [[ $rc -eq 0 ]] || fail "exit code $rc for '$args'"
    cmp "$out" "$expected_dir/$file" >&2 ||
      fail "'$args' differs from expected/$file:$(echo; diff "$out" "$expected_dir/$file")"
  done
}

# Each argument must be refused with exit code 2, nothing on stdout, and a message naming it.
expect_refused() {
  local args
  for args in "$@"; do
    run "$args"
    [[ $rc -eq 2 ]] || fail "exit code $rc for bad argument '$args'"
    [[ ! -s $out ]] || fail "bad argument '$args' printed to stdout"
    grep -q -- "${args%%=*}" "$err" || fail "the message for '$args' does not name it"
  done
}
