#!/usr/bin/env bash
# Runs the callbacks sample and checks what it prints; registered by sample_tests.cmake.
#   CASE: python (the originals' lines, byte for byte, then the same apply_async lines again
#         through the worker pool), bad_args, help
source "$(dirname "${BASH_SOURCE[0]}")/sample_check_common.sh"

case $case in
python)
  # What the sample prints: the originals' lines, a heading, and the originals' last four
  # lines (the two apply_async cells) once more, from the worker pool's callbacks.
  expected=$work/expected.txt
  { cat "$expected_dir/callbacks.txt"
    echo "the same through the worker pool:"
    tail -n 4 "$expected_dir/callbacks.txt"; } >"$expected"
  [[ $(grep -c '^counter = ' "$expected") -eq 8 ]] || fail "expected/callbacks.txt changed shape"
  expected_dir=$work
  expect_output expected.txt "" --scheduler.policy=sharing --scheduler.max-threads=4 "" ""
  ;;
bad_args)
  expect_refused --bogus --scheduler.max-threads=x
  ;;
help)
  run --help
  [[ $rc -eq 0 ]] || fail "exit code $rc for --help"
  grep -q '^callbacks: the Python tutorial' "$out" || fail "--help does not say what it is"
  ;;
*)
  echo "unknown case '$case'" >&2
  exit 2
  ;;
esac
echo "ok ($case)"
