#!/usr/bin/env bash
# Runs the callbacks sample and checks what it prints; registered by sample_tests.cmake.
#   CASE: python (the originals' lines, byte for byte), bad_args, help
source "$(dirname "${BASH_SOURCE[0]}")/sample_check_common.sh"

case $case in
python)
  expect_output callbacks.txt "" --scheduler.policy=sharing --scheduler.max-threads=4 "" ""
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
