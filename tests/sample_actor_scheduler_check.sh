#!/usr/bin/env bash
# Runs the actor_scheduler sample and checks what it prints; registered by sample_tests.cmake.
# usage: sample_actor_scheduler_check.sh BINARY CASE EXPECTED_DIR
#   CASE: count (--n=1000 under three scheduler settings), quiet, python_n10, zero, bad_args, help,
#         processes, roles, roles_peer_dies, roles_peer_freezes, processes_role_dies,
#         processes_role_freezes, processes_launcher_killed, processes_timeout
# The multi-process cases start real processes on 127.0.0.1 (port 0, read back); the trap
# kills every process this script started on every exit path.
set -euo pipefail

bin=$1
case=$2
expected_dir=$3

work=$(mktemp -d)
declare -A pids=()
declare -A endpoints=()
helpers=()
cleanup() {
  local pid
  for pid in "${pids[@]}" "${helpers[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
out=$work/stdout
err=$work/stderr

fail() {
  echo "FAIL ($case): $*" >&2
  echo "--- stdout (first 20 lines):" >&2
  head -n 20 "$out" >&2 2>/dev/null || true
  echo "--- stderr:" >&2
  cat "$err" >&2 2>/dev/null || true
  local f
  for f in "$work"/*.err; do
    [[ -e $f ]] || continue
    echo "--- $(basename "$f"):" >&2
    cat "$f" >&2
  done
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

# A frozen peer is lost after 1 s instead of 4 (heartbeats well within it: a busy peer is not).
fast_heartbeats=(--troupe.net.heartbeat-interval=100ms --troupe.net.peer-timeout=1s)

# Starts `--role=ROLE ARGS...` in the background with its stdout on a FIFO, reads the endpoint
# it prints first into ${endpoints[ROLE]}, then copies the rest of its stdout to $work/ROLE.out.
start_role() { # role, args...
  local role=$1
  shift
  mkfifo "$work/$role.fifo"
  "$bin" --role="$role" "$@" >"$work/$role.fifo" 2>"$work/$role.err" &
  pids[$role]=$!
  local fd line=
  exec {fd}<"$work/$role.fifo"
  read -r -t 30 -u "$fd" line || fail "$role printed no endpoint"
  [[ $line =~ ^listening\ on\ 127\.0\.0\.1:[0-9]+$ ]] || fail "$role printed '$line' first"
  endpoints[$role]=${line#listening on }
  cat <&"$fd" >"$work/$role.out" &
  helpers+=($!)
  exec {fd}<&-
}

# Waits for ROLE's process; sets $rc to its exit status.
wait_role() { # role
  rc=0
  wait "${pids[$1]}" || rc=$?
  unset "pids[$1]"
}

# Waits until the copies of the roles' stdout are complete (every role has exited).
wait_outputs() {
  local pid
  for pid in "${helpers[@]}"; do
    wait "$pid" || true
  done
  helpers=()
}

# The children a launcher reported on stderr ("started ROLE (pid P) ...") are all gone.
expect_no_child_left() { # [fewest children the launcher must have started, default 2]
  local pid count=0 fewest=${1:-2}
  for pid in $(sed -n 's/^actor_scheduler: started [a-z_]* (pid \([0-9]*\)).*/\1/p' "$err"); do
    count=$((count + 1))
    ! kill -0 "$pid" 2>/dev/null || fail "child $pid is still running"
  done
  [[ $count -ge $fewest ]] || fail "the launcher reported $count children"
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
processes)
  # Each actor in its own process: the same lines (with the same per-actor order and causes
  # before effects) and the same summary as the one-process run.
  run --n=1000 --quiet
  expect_rc0 --n=1000 --quiet
  local_summary=$(cat "$out")
  check_count 1000 --processes
  [[ $(tail -n 1 "$out") == "$local_summary" ]] || fail "the summary differs from the local run's"
  expect_no_child_left
  run --processes --n=1000 --quiet
  expect_rc0 --processes --quiet
  [[ $(cat "$out") == "$local_summary" ]] || fail "--processes --quiet printed more than the summary"
  check_count 0 --processes
  ;;
roles)
  # The three roles started here, the greeters first (counter sends to them at once).
  run --n=1000 --quiet
  local_summary=$(cat "$out")
  start_role say_hello
  start_role say_hi
  start_role counter --n=1000 --say-hello="${endpoints[say_hello]}" --say-hi="${endpoints[say_hi]}"
  for role in counter say_hello say_hi; do
    wait_role $role
    [[ $rc -eq 0 ]] || fail "$role exited with $rc: $(cat "$work/$role.err")"
  done
  wait_outputs
  diff <(head -n -1 "$work/counter.out") <(seq 1000 -1 0 | sed 's/^/counter: /') >/dev/null ||
    fail "counter's lines are not 'counter: 1000' .. 'counter: 0' in order"
  diff <(head -n -1 "$work/say_hello.out") <(seq 1000 -1 1 | sed 's/^/say hello /') >/dev/null ||
    fail "say_hello's lines are not 'say hello 1000' .. 'say hello 1' in order"
  diff <(head -n -1 "$work/say_hi.out") <(seq 1000 -1 1 | sed 's/^/say hi /') >/dev/null ||
    fail "say_hi's lines are not 'say hi 1000' .. 'say hi 1' in order"
  report() { tail -n 1 "$work/$1.out" | sed -n "s/^report: $1=\([0-9]*\)\$/\1/p"; }
  summary="summary: say_hello=$(report say_hello) say_hi=$(report say_hi) counter=$(report counter)"
  [[ $summary == "$local_summary" ]] || fail "the reports make '$summary', not '$local_summary'"
  ;;
roles_peer_dies)
  # say_hi dies (SIGKILL) after 300 numbers: counter and say_hello exit 1 with the error.
  start_role say_hello
  start_role say_hi --die-after=300
  start_role counter --n=1000000 --quiet --say-hello="${endpoints[say_hello]}" \
    --say-hi="${endpoints[say_hi]}"
  wait_role say_hi
  [[ $rc -eq 137 ]] || fail "say_hi exited with $rc, expected 137 (SIGKILL)"
  wait_role counter
  [[ $rc -eq 1 ]] || fail "counter exited with $rc, expected 1"
  grep -q "node_down" "$work/counter.err" || fail "counter's error is not node_down"
  wait_role say_hello
  [[ $rc -eq 1 ]] || fail "say_hello exited with $rc, expected 1"
  grep -q "say_hello: counter stopped" "$work/say_hello.err" ||
    fail "say_hello does not say that counter stopped"
  wait_outputs
  ! grep -q '^report:' "$work/counter.out" "$work/say_hello.out" || fail "a failed role reported"
  ;;
roles_peer_freezes)
  # say_hi freezes (SIGSTOP) after 300 numbers: counter sends the rest, then waits for say_hi's
  # answer until the heartbeats find it silent (peer-timeout 1 s here, heartbeats every 100 ms)
  # and exits 1 with node_down. say_hello, asked first, got every number and ends normally
  # before that. say_hi stays stopped: the trap kills it.
  start_role say_hello --quiet "${fast_heartbeats[@]}"
  start_role say_hi --quiet --freeze-after=300 "${fast_heartbeats[@]}"
  start_role counter --n=1000 --quiet --say-hello="${endpoints[say_hello]}" \
    --say-hi="${endpoints[say_hi]}" "${fast_heartbeats[@]}"
  wait_role counter
  [[ $rc -eq 1 ]] || fail "counter exited with $rc, expected 1"
  grep -q "say_hi@.*node_down" "$work/counter.err" || fail "counter's error is not node_down"
  wait_role say_hello
  [[ $rc -eq 0 ]] || fail "say_hello exited with $rc, expected 0"
  kill -KILL "${pids[say_hi]}"
  wait_role say_hi
  wait_outputs
  [[ $(cat "$work/say_hello.out") == "report: say_hello=1000" ]] ||
    fail "say_hello did not report 1000 numbers"
  [[ ! -s $work/counter.out ]] || fail "counter printed more than its endpoint"
  ;;
processes_role_freezes)
  # A child frozen mid-run: its peers find it silent and fail, the launcher exits 1 and kills
  # the frozen one too.
  rc=0
  timeout 60 "$bin" --processes --n=1000 --quiet --die-role=say_hi --freeze-after=300 \
    "${fast_heartbeats[@]}" >"$out" 2>"$err" || rc=$?
  [[ $rc -eq 1 ]] || fail "the launcher exited with $rc, expected 1"
  grep -Eq "^actor_scheduler: (counter|say_hello) \(pid [0-9]*\) exited with status 1" "$err" ||
    fail "the launcher does not name the role that failed"
  [[ ! -s $out ]] || fail "a failed run printed a summary"
  expect_no_child_left
  ;;
processes_role_dies)
  # A child killed mid-run: the launcher exits 1 naming it and leaves no child behind.
  for role in say_hi counter say_hello; do
    rc=0
    timeout 60 "$bin" --processes --n=1000000 --quiet --die-role=$role --die-after=500 \
      >"$out" 2>"$err" || rc=$?
    [[ $rc -eq 1 ]] || fail "the launcher exited with $rc when $role died, expected 1"
    # Not anchored: a child killed while writing its own error line leaves it unfinished.
    grep -q "actor_scheduler: $role (pid [0-9]*) was killed by signal 9" "$err" ||
      fail "the launcher does not say that $role was killed"
    [[ ! -s $out ]] || fail "a failed run printed a summary"
    expect_no_child_left
  done
  ;;
processes_launcher_killed)
  # The launcher killed (SIGKILL) mid-run: its children die with it (PR_SET_PDEATHSIG). They
  # write their stderr to this FIFO too, so it reaches its end once every one has exited.
  mkfifo "$work/launcher.err"
  "$bin" --processes --n=2000000000 --quiet >"$out" 2>"$work/launcher.err" &
  pids[launcher]=$!
  exec 3<"$work/launcher.err"
  for i in 1 2 3; do
    line=
    read -r -t 30 -u 3 line || fail "the launcher did not start its children"
    [[ $line == "actor_scheduler: started "* ]] || fail "the launcher printed '$line'"
  done
  kill -KILL "${pids[launcher]}"
  wait_role launcher
  [[ $rc -eq 137 ]] || fail "the launcher exited with $rc, expected 137 (SIGKILL)"
  timeout 30 cat <&3 >"$err" || fail "a child outlived the launcher"
  exec 3<&-
  ;;
processes_timeout)
  # A run longer than --timeout: the launcher exits 1 and leaves no child behind.
  rc=0
  timeout 60 "$bin" --processes --n=2000000000 --quiet --timeout=1 >"$out" 2>"$err" || rc=$?
  [[ $rc -eq 1 ]] || fail "the launcher exited with $rc, expected 1"
  grep -q "timed out after 1 s" "$err" || fail "the launcher does not say it timed out"
  # On a loaded machine the second second may pass before every child has started.
  expect_no_child_left 1
  ;;
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
  for args in --bogus --n=abc --n=-1 --n=99999999999 stray --role=dancer --role=counter \
    "--role=say_hi --say-hi=127.0.0.1:1" "--processes --role=say_hi" "--processes --die-role=x" \
    "--processes --timeout=0" --die-after=3 "--role=say_hi --die-after=1 --freeze-after=1" \
    "--role=say_hi --troupe.net.bogus=1"; do
    # shellcheck disable=SC2086 # some cases are two arguments
    run $args
    [[ $rc -ne 0 ]] || fail "exit code 0 for bad argument '$args'"
    [[ ! -s $out ]] || fail "bad argument '$args' printed to stdout"
    last=${args##* }
    grep -q -- "${last%%=*}" "$err" || fail "the message for '$args' does not name ${last%%=*}"
  done
  run --role=counter --say-hello=nowhere --say-hi=127.0.0.1:1
  [[ $rc -eq 1 ]] || fail "a bad peer endpoint exited with $rc, expected 1"
  grep -q "invalid_endpoint" "$err" || fail "a bad peer endpoint is not invalid_endpoint"
  run --role=say_hi --listen=256.0.0.1:0
  [[ $rc -eq 1 ]] || fail "a bad --listen exited with $rc, expected 1"
  grep -q "cannot listen on 256.0.0.1:0" "$err" || fail "a bad --listen is not named"
  ;;
help)
  run --help
  expect_rc0 --help
  grep -q '^actor_scheduler: three named coroutine actors' "$out" || fail "--help does not say what it is"
  grep -q -- '--n=<int32>' "$out" || fail "--help does not list --n"
  grep -q -- '--quiet' "$out" || fail "--help does not list --quiet"
  for option in --role --listen --say-hello --say-hi --processes --timeout --die-after \
    --freeze-after --die-role; do
    grep -qE -- "^  $option(=| )" "$out" || fail "--help does not list $option"
  done
  ;;
*)
  echo "unknown case '$case'" >&2
  exit 2
  ;;
esac
echo "ok ($case)"
