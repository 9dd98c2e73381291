#!/usr/bin/env bash
# Runs the producer_consumer sample and checks what it prints; registered by sample_tests.cmake.
# usage: sample_producer_consumer_check.sh BINARY CASE EXPECTED_DIR
#   CASE: python, throughput, bad_args, help
set -euo pipefail

bin=$1
case=$2
expected_dir=$3

# shellcheck source=sample_check_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/sample_check_common.sh"

case $case in
python)
  # The Python original's lines in its order; its last line is the elapsed time, which only
  # has to be a number of seconds. Several runs and ticks: the order comes from the protocol.
  expected=$expected_dir/producer_consumer.txt
  for args in "" "" --tick=5ms --tick=50ms; do
    run $args
    [[ $rc -eq 0 ]] || fail "exit code $rc for '$args'"
    diff <(head -n -1 "$out") <(head -n -1 "$expected") >&2 ||
      fail "output of '$args' differs from expected/producer_consumer.txt"
    [[ $(tail -n 1 "$out") =~ ^[0-9]+(\.[0-9]+)?(e-?[0-9]+)?\ s$ ]] ||
      fail "last line '$(tail -n 1 "$out")' is not the elapsed seconds"
  done
  ;;
throughput)
  run --producers=8 --consumers=6 --items=2000 --capacity=16 --scheduler.max-threads=4
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  line=$(tail -n 1 "$out")
  [[ $line == "summary: producers=8 consumers=6 items=16000 consumed=16000 exactly_once=yes capacity=16 peak="* ]] ||
    fail "summary '$line' does not show 16000 items consumed exactly once"
  peak=$(sed -E 's/.* peak=([0-9]+) .*/\1/' <<<"$line")
  ((peak >= 1 && peak <= 16)) || fail "peak $peak is not within 1..16"
  ;;
bad_args)
  for args in --bogus --items=-3 --tick=soon stray; do
    run "$args"
    [[ $rc -ne 0 ]] || fail "'$args' was accepted"
    [[ -s $err ]] || fail "'$args' gave no error message"
  done
  run --items=-3
  grep -q -- "--items" "$err" || fail "the error for --items=-3 does not name --items"
  ;;
help)
  run --help
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  grep -q "asyncio" "$out" || fail "--help does not explain the program"
  grep -q -- "--capacity" "$out" || fail "--help does not list --capacity"
  ;;
*)
  echo "unknown case $case" >&2
  exit 2
  ;;
esac
