#!/usr/bin/env bash
# Runs the actor_scheduler sample and checks what it prints; registered by sample_tests.cmake.
# usage: sample_actor_scheduler_check.sh BINARY CASE EXPECTED_DIR
#   CASE: count (--n=1000 under three scheduler settings), quiet, python_n10, zero, bad_args, help
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
  echo "--- stdout (first 20 lines):" >&2
  head -n 20 "$out" >&2 || true
  echo "--- stderr:" >&2
  cat "$err" >&2 || true
  exit 1
}

# Runs the binary with the given arguments; sets $rc.
run() {
  rc=0
  "$bin" "$@" >"$out" 2>"$err" || rc=$?
}

expect_rc0() {
  [[ $rc -eq 0 ]] || fail "exit code $rc for: $*"
}

summary_of() { # n
  echo "summary: say_hello=$1 say_hi=$1 counter=$(($1 + 1))"
}

# The full output of --n=N: exactly N "say hello k" and N "say hi k" lines (k = N..1, in that
# order, since counter sends them in that order and CAF keeps one sender's messages in order),
# N+1 "counter: k" lines (k = N..0, in order), each "say ... k" after "counter: k" (it is
# caused by it), and the summary as the last line.
check_count() { # n, extra args...
  local n=$1
  shift
  run --n="$n" "$@"
  expect_rc0 --n="$n" "$@"
  local lines
  lines=$(wc -l <"$out")
  [[ $lines -eq $((3 * n + 2)) ]] || fail "$lines lines, expected $((3 * n + 2))"
  diff <(grep '^counter: ' "$out") <(seq "$n" -1 0 | sed 's/^/counter: /') >/dev/null ||
    fail "counter lines are not 'counter: $n' .. 'counter: 0' in order"
  local label
  for label in "say hello" "say hi"; do
    diff <(grep "^$label [0-9]*\$" "$out") <(seq "$n" -1 1 | sed "s/^/$label /") >/dev/null ||
      fail "'$label' lines are not '$label $n' .. '$label 1', each once, in order"
  done
  [[ $(tail -n 1 "$out") == "$(summary_of "$n")" ]] ||
    fail "last line is '$(tail -n 1 "$out")', expected '$(summary_of "$n")'"
  awk '/^counter: /{seen[$2] = 1; next}
       /^say (hello|hi) /{if (!($3 in seen)) {print "before counter: " $0; bad = 1}}
       END {exit bad}' "$out" >&2 || fail "a greeting came before the counter line that caused it"
}

case $case in
count)
  check_count 1000
  check_count 1000 --scheduler.policy=sharing
  check_count 1000 --scheduler.max-threads=4
  ;;
quiet)
  run --n=1000 --quiet
  expect_rc0 --quiet
  [[ $(cat "$out") == "$(summary_of 1000)" ]] || fail "--quiet printed more than the summary"
  ;;
python_n10)
  # The default (n=10) prints the Python original's lines, in some interleaving, plus the summary.
  run
  expect_rc0 "(no arguments)"
  [[ $(tail -n 1 "$out") == "$(summary_of 10)" ]] || fail "last line is not the summary"
  diff <(head -n -1 "$out" | LC_ALL=C sort) <(LC_ALL=C sort "$expected_dir/actor_scheduler_n10.txt") >&2 ||
    fail "the lines differ from the Python original's (expected/actor_scheduler_n10.txt)"
  ;;
zero)
  run --n=0
  expect_rc0 --n=0
  [[ $(cat "$out") == "counter: 0"$'\n'"$(summary_of 0)" ]] || fail "--n=0 output is wrong"
  ;;
bad_args)
  for args in --bogus --n=abc --n=-1 --n=99999999999 stray; do
    run "$args"
    [[ $rc -ne 0 ]] || fail "exit code 0 for bad argument '$args'"
    [[ ! -s $out ]] || fail "bad argument '$args' printed to stdout"
    grep -q -- "${args%%=*}" "$err" || fail "the message for '$args' does not name it"
  done
  ;;
help)
  run --help
  expect_rc0 --help
  grep -q '^actor_scheduler: three named coroutine actors' "$out" || fail "--help does not say what it is"
  grep -q -- '--n=<int32>' "$out" || fail "--help does not list --n"
  grep -q -- '--quiet' "$out" || fail "--help does not list --quiet"
  ;;
*)
  echo "unknown case '$case'" >&2
  exit 2
  ;;
esac
echo "ok ($case)"
