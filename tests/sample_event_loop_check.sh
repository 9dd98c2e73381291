#!/usr/bin/env bash
# Runs the event_loop sample and checks what it prints; registered by sample_tests.cmake.
#   CASE: python (the original's nine lines), ticks, bad_args, help
source "$(dirname "${BASH_SOURCE[0]}")/sample_check_common.sh"

case $case in
python)
  # A 1 ms tick under two scheduler settings: the loop's logical time keeps all nine lines
  # even when a busy machine wakes it late.
  expect_output event_loop.txt "" "--tick=1ms" "--tick=1ms --scheduler.policy=sharing"
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
  expect_refused --tick=0s --ticks=-1 --tick=soon --bogus
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
