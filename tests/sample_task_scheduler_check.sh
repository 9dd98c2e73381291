#!/usr/bin/env bash
# Runs the task_scheduler sample and checks what it prints; registered by sample_tests.cmake.
# usage: sample_task_scheduler_check.sh BINARY CASE EXPECTED_DIR
#   CASE: python (byte-for-byte the Python original's output), counts, bad_args, help
source "$(dirname "${BASH_SOURCE[0]}")/sample_check_common.sh"

case $case in
python)
  # Several runs and scheduler settings: the order comes from the protocol, not from timing.
  for args in "" --scheduler.policy=sharing --scheduler.max-threads=4 "" ""; do
    run $args
    [[ $rc -eq 0 ]] || fail "exit code $rc for '$args'"
    cmp "$out" "$expected_dir/task_scheduler.txt" >&2 ||
      fail "output of '$args' differs from expected/task_scheduler.txt:$(echo; diff "$out" "$expected_dir/task_scheduler.txt")"
  done
  ;;
counts)
  # sayHello(2) and sayHi(1) of the Python original print exactly this.
  run --hello=2 --hi=1
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  printf 'hello~ 2\nhi~ 0\nhello~ 1\nsay hi\nsay hello\n' | cmp - "$out" >&2 ||
    fail "--hello=2 --hi=1 output differs"
  run --hello=0 --hi=0
  printf 'say hello\nsay hi\n' | cmp - "$out" >&2 || fail "--hello=0 --hi=0 output differs"
  ;;
bad_args)
  for args in --bogus --hi=abc --hello= stray; do
    run "$args"
    [[ $rc -ne 0 ]] || fail "exit code 0 for bad argument '$args'"
    [[ ! -s $out ]] || fail "bad argument '$args' printed to stdout"
    grep -q -- "${args%%=*}" "$err" || fail "the message for '$args' does not name it"
  done
  ;;
help)
  run --help
  [[ $rc -eq 0 ]] || fail "exit code $rc for --help"
  grep -q '^task_scheduler: a round-robin scheduler' "$out" || fail "--help does not say what it is"
  grep -q -- '--hello=<int32>' "$out" || fail "--help does not list --hello"
  grep -q -- '--hi=<int32>' "$out" || fail "--help does not list --hi"
  ;;
*)
  echo "unknown case '$case'" >&2
  exit 2
  ;;
esac
echo "ok ($case)"
