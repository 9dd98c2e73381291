#!/usr/bin/env bash
# Runs one of the samples supervision, shared_dict, worker_pool, hedged_requests and checks
# what it prints; registered by sample_tests.cmake.
# usage: sample_patterns2_check.sh BINARY CASE EXPECTED_DIR
#   CASE: shared_dict_python, shared_dict_load, supervision, worker_pool, hedged_requests,
#         bad_args, help
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
  echo "--- stdout:" >&2
  cat "$out" >&2 || true
  echo "--- stderr:" >&2
  cat "$err" >&2 || true
  exit 1
}

# Runs the binary with the given arguments; sets $rc.
run() {
  rc=0
  "$bin" "$@" >"$out" 2>"$err" || rc=$?
}

summary() {
  grep '^summary: ' "$out" || fail "no summary line"
}

case $case in
shared_dict_python)
  # The first two lines are the Python original's output (expected/shared_dict_manager.txt).
  run --clients=2 --ops=100 --increments=5
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  head -n 2 "$out" | cmp - "$expected_dir/shared_dict_manager.txt" >&2 ||
    fail "the Manager() lines differ from expected/shared_dict_manager.txt"
  ;;
shared_dict_load)
  run --clients=6 --ops=2000 --shards=3 --increments=50
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  summary | grep -q ' counter=300 expected=300 lost_increments=0 failures=0' ||
    fail "increments were lost"
  ;;
supervision)
  run --workers=3 --clients=4 --requests=300 --crash=0.02 --seed=3
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  summary | grep -q 'requests=1200 ' || fail "wrong request count"
  summary | grep -q ' lost=0 noticed_only_in_flight=yes' || fail "a sender noticed more"
  [[ $(grep -c '^worker-[0-2] [0-9][0-9]*$' "$out") -eq 3 ]] || fail "no restarts per child"
  ;;
worker_pool)
  run --n=20000 --jobs=16 --max-workers=2 --python=none
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  [[ $(grep -c '^troupe worker_pool([12])' "$out") -eq 2 ]] || fail "no row per pool size"
  summary | grep -q 'speedup=' || fail "no speedup"
  ;;
hedged_requests)
  run --trials=200 --clients=20
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  grep -q '^sequential retry ' "$out" || fail "no sequential row"
  grep -q '^hedged (3 in flight) ' "$out" || fail "no hedged row"
  summary | grep -Eq 'sequential_success=[0-9.]+% hedged_success=[0-9.]+%' || fail "bad summary"
  ;;
bad_args)
  for args in --bogus stray; do
    run "$args"
    [[ $rc -ne 0 ]] || fail "'$args' was accepted"
    grep -q -- "${args%%=*}" "$err" || fail "the error does not name '$args'"
  done
  ;;
help)
  run --help
  [[ $rc -eq 0 ]] || fail "exit code $rc"
  grep -q '^usage: ' "$out" || fail "no usage line"
  ;;
*)
  fail "unknown case"
  ;;
esac
