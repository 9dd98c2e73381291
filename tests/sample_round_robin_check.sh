#!/usr/bin/env bash
# Runs the round_robin sample and checks what it prints; registered by sample_tests.cmake.
#   CASE: python (each scheduler byte for byte as its Python original), zero_slice, bad_args, help
source "$(dirname "${BASH_SOURCE[0]}")/sample_check_common.sh"

case $case in
python)
  # The order comes from the schedulers' protocol, not from timing: try several settings.
  for scheduler in simple primitive sophisticated; do
    expect_output "round_robin_$scheduler.txt" "--scheduler=$scheduler" \
      "--scheduler=$scheduler --scheduler.policy=sharing" \
      "--scheduler=$scheduler --scheduler.max-threads=4"
  done
  ;;
zero_slice)
  # int(1 * 0.5) = 0: the Python original would ask for the need again forever.
  run --scheduler=sophisticated --task1=1 --task2=1 --priority=0.5
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  printf '%s\n' "Task1 need: 0 and Time slice =  1" "task1 finished" \
    "Task2 need: 0 and Time slice =  1" "task2 finished" "All finished! 可以休息一会了" |
    cmp - "$out" >&2 || fail "a zero slice is not run as 1:$(echo; cat "$out")"
  ;;
bad_args)
  expect_refused --scheduler=fastest --priority=0 --task1=x --bogus
  ;;
help)
  run --help
  [[ $rc -eq 0 ]] || fail "exit code $rc for --help"
  grep -q '^round_robin: the Python tutorial' "$out" || fail "--help does not say what it is"
  grep -q 'rounds down to 0 is run as 1' "$out" || fail "--help does not explain zero slices"
  grep -q -- '--scheduler=<' "$out" || fail "--help does not list --scheduler"
  ;;
*)
  echo "unknown case '$case'" >&2
  exit 2
  ;;
esac
echo "ok ($case)"
