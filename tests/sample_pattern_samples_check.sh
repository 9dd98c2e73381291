#!/usr/bin/env bash
# Runs the bankers, readers_writers and dining_philosophers samples and checks their output;
# registered by sample_tests.cmake.
# usage: sample_pattern_samples_check.sh BINARY CASE
#   CASE: bankers_textbook, bankers_random, readers_writers, dining_philosophers, bad_args, help
set -euo pipefail

bin=$1
case=$2

# shellcheck source=sample_check_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/sample_check_common.sh"

expect_line() { # exact line that must be in the output
  grep -qxF -- "$1" "$out" || fail "missing line: $1"
}

case $case in
bankers_textbook)
  run
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  expect_line "available 3 3 2, safe sequence P1 P3 P4 P0 P2"
  expect_line "P1 requests 1 0 2: granted, available 2 3 0, safe sequence P1 P3 P4 P0 P2"
  expect_line "P4 requests 3 3 0: deferred (more than the available 2 3 0)"
  expect_line "P0 requests 0 2 0: deferred (granting it would leave no safe sequence)"
  [[ $(tail -n 1 "$out") == "summary: processes=5 finished=5 granted=13 deferred=2 available=10 5 7" ]] ||
    fail "summary is '$(tail -n 1 "$out")'"
  # Each deferred request is granted, and only after a process gave its resources back.
  [[ $(grep -c "deferred request is safe now: granted" "$out") -eq 2 ]] ||
    fail "not both deferred requests were granted"
  ;;
bankers_random)
  run --clients=12 --resources=3 --steps=30 --seed=7
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  line=$(tail -n 1 "$out")
  [[ $line == "summary: clients=12 finished=12 granted="*" unsafe_states=0 available="* ]] ||
    fail "summary '$line' does not show 12 clients finished with no unsafe state"
  ;;
readers_writers)
  run --readers=6 --writers=2 --ops=20 --hold=1ms --scheduler.max-threads=2
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  for policy in readers_preference writers_preference fair; do
    grep -q "^$policy: reads=120 writes=40 read wait p50=" "$out" ||
      fail "no line for $policy with 120 reads and 40 writes"
  done
  [[ $(tail -n 1 "$out") == "summary: longest writer wait readers_preference="*" writers_preference="*" fair="* ]] ||
    fail "no summary line"
  ;;
dining_philosophers)
  run --philosophers=5 --meals=4 --timeout=100ms
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  expect_line "summary: naive=deadlock ordered=20/20 meals waiter=20/20 meals banker=20/20 meals"
  grep -q "^naive: deadlock: all 5 philosophers hold their left fork" "$out" ||
    fail "the deadlock is not reported"
  ;;
bad_args)
  for args in --bogus --steps=0 --clients=-2; do
    run "$args"
    [[ $rc -ne 0 && -s $err ]] || fail "'$args' was accepted or gave no message"
  done
  ;;
help)
  run --help
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  grep -q "usage:" "$out" || fail "--help prints no usage"
  ;;
*)
  echo "unknown case $case" >&2
  exit 2
  ;;
esac
