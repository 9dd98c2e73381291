#!/usr/bin/env bash
# Runs the ping_pong sample as two processes and checks what they print; registered by
# ping_pong_tests.cmake. Every child is killed on every exit path (trap).
# usage: sample_ping_pong_check.sh BINARY CASE
#   CASE: tcp, unix, secret, wrong_secret, server_dies, server_freezes, help
set -euo pipefail

bin=$1
case=$2

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  exec 3<&- 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL ($case): $*" >&2
  for f in client.out client.err server.err; do
    echo "--- $f:" >&2
    cat "$work/$f" >&2 2>/dev/null || true
  done
  exit 1
}

# Starts the server with the given arguments; sets $server_pid and $endpoint.
start_server() {
  mkfifo "$work/server.out"
  "$bin" --role=server "$@" >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  exec 3<"$work/server.out"
  local line=
  read -r -t 60 -u 3 line || fail "the server printed no endpoint"
  [[ $line == "listening on "* ]] || fail "the server printed '$line'"
  endpoint=${line#listening on }
}

# Stops the server with SIGTERM and checks its summary line.
stop_server() { # expected number of round trips served
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  server_pid=
  [[ $rc -eq 0 ]] || fail "the server exited with $rc"
  local summary
  summary=$(cat <&3)
  [[ $summary == "ping_pong server: served $1 round trips" ]] || fail "server said '$summary'"
}

# Runs the client; sets $rc.
run_client() {
  rc=0
  timeout 120 "$bin" --role=client "$@" >"$work/client.out" 2>"$work/client.err" || rc=$?
}

# The client's summary after N round trips: rate and percentiles as positive numbers.
check_summary() { # n
  [[ $rc -eq 0 ]] || fail "the client exited with $rc"
  local re="^ping_pong client: $1 round trips to $endpoint in [0-9.e+-]+ s: [0-9.e+]+ round trips/s, p50 [0-9.e+]+ us, p99 [0-9.e+]+ us$"
  [[ $(cat "$work/client.out") =~ $re ]] || fail "unexpected client summary"
}

# The client ends with status 1 and node_down after exactly the answered round trips.
check_lost_server() { # answered
  [[ $rc -eq 1 ]] || fail "the client exited with $rc, expected 1"
  grep -q "error after $1 round trips" "$work/client.err" || fail "wrong count in the error"
  grep -q "node_down" "$work/client.err" || fail "the error is not node_down"
}

case $case in
  tcp)
    start_server
    [[ $endpoint =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "endpoint '$endpoint'"
    run_client --peer="$endpoint" --n=500
    check_summary 500
    run_client --peer="$endpoint" --n=1
    check_summary 1
    stop_server 501
    ;;
  unix)
    start_server --listen="unix:$work/ping_pong.sock"
    [[ $endpoint == "unix:$work/ping_pong.sock" ]] || fail "endpoint '$endpoint'"
    run_client --peer="$endpoint" --n=500
    check_summary 500
    stop_server 500
    ;;
  secret)
    printf 'cookie\n' >"$work/secret"
    start_server --secret-file="$work/secret"
    run_client --peer="$endpoint" --n=100 --secret-file="$work/secret"
    check_summary 100
    stop_server 100
    ;;
  wrong_secret)
    printf 'cookie' >"$work/secret"
    printf 'biscuit' >"$work/other"
    start_server --secret-file="$work/secret"
    run_client --peer="$endpoint" --n=10 --secret-file="$work/other"
    [[ $rc -ne 0 ]] || fail "a client with the wrong secret succeeded"
    grep -q "authentication_failed" "$work/client.err" || fail "no authentication_failed"
    run_client --peer="$endpoint" --n=10
    [[ $rc -ne 0 ]] || fail "a client without the secret succeeded"
    stop_server 0
    ;;
  server_dies)
    start_server --die-after=300
    run_client --peer="$endpoint" --n=1000000
    check_lost_server 300
    wait "$server_pid" || true
    server_pid=
    ;;
  server_freezes)
    start_server --freeze-after=300
    run_client --peer="$endpoint" --n=1000000
    check_lost_server 300
    ;;
  help)
    rc=0
    "$bin" --help >"$work/client.out" 2>&1 || rc=$?
    [[ $rc -eq 0 ]] || fail "--help exited with $rc"
    grep -q -- "--role=client --peer=ENDPOINT" "$work/client.out" || fail "--help lacks usage"
    rc=0
    "$bin" --role=dancer >"$work/client.out" 2>"$work/client.err" || rc=$?
    [[ $rc -eq 2 ]] || fail "a bad --role exited with $rc, expected 2"
    ;;
  *)
    fail "unknown case"
    ;;
esac
echo "ok ($case)"
