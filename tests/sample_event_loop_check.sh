#!/usr/bin/env bash
# Runs the event_loop sample and checks what it prints; registered by sample_tests.cmake.
# usage: sample_event_loop_check.sh BINARY CASE EXPECTED_DIR
#   CASE: python (the original's nine lines), ticks, bad_args, help
set -euo pipefail

bin=$1
case=$2
expected_dir=$3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/stdout
err=$work/stderr

fail() {
  echo "FAIL ($case): $*" >&2
  echo "--- stderr:" >&2
  cat "$err" >&2 || true
  exit 1
}

run() {
  rc=0
  "$bin" "$@" >"$out" 2>"$err" || rc=$?
}

case $case in
python)
  # A 1 ms tick under two scheduler settings: the loop's logical time keeps all nine lines
  # even when a busy machine wakes it late.
  for args in "" "--tick=1ms" "--tick=1ms --scheduler.policy=sharing"; do
    run $args
    [[ $rc -eq 0 ]] || fail "exit code $rc for '$args'"
    cmp "$out" "$expected_dir/event_loop.txt" >&2 ||
      fail "'$args' differs:$(echo; diff "$out" "$expected_dir/event_loop.txt")"
  done
  ;;
ticks)
  run --tick=1ms --ticks=3
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  printf 'function_4 called\nfunction_1 called\nfunction_2 called\n' | cmp - "$out" >&2 ||
    fail "--ticks=3 output differs:$(echo; cat "$out")"
  run --tick=1ms --ticks=0
  printf 'function_4 called\n' | cmp - "$out" >&2 || fail "--ticks=0 output differs"
  ;;
bad_args)
  for args in --tick=0s --ticks=-1 --tick=soon --bogus; do
    run "$args"
    [[ $rc -eq 2 ]] || fail "exit code $rc for bad argument '$args'"
    [[ ! -s $out ]] || fail "bad argument '$args' printed to stdout"
    grep -q -- "${args%%=*}" "$err" || fail "the message for '$args' does not name it"
  done
  ;;
help)
  run --help
  [[ $rc -eq 0 ]] || fail "exit code $rc for --help"
  grep -q '^event_loop: the Python tutorial' "$out" || fail "--help does not say what it is"
  grep -q -- '--tick=<' "$out" || fail "--help does not list --tick"
  ;;
*)
  echo "unknown case '$case'" >&2
  exit 2
  ;;
esac
echo "ok ($case)"
