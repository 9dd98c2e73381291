#pragma once

// The --processes mode of actor_scheduler: runs the three roles as child processes of this
// program and prints what the one-process run prints.

#include <chrono>
#include <string>
#include <vector>

namespace actor_scheduler {

/// What the launcher passes on to its children.
struct launch_plan {
  /// Arguments every role gets (--n, --quiet, --scheduler.* and --troupe.* settings).
  std::vector<std::string> common_args;
  /// The role that gets `die_arg` (empty: none), to show how a lost process is reported.
  std::string die_role;
  /// E.g. "--die-after=500".
  std::string die_arg;
  /// The whole run must end by then, or every child is killed and the launcher fails.
  std::chrono::seconds timeout{300};
};

/// Starts say_hello and say_hi (each `--role=R --listen=127.0.0.1:0`), reads the endpoint each
/// prints first, starts counter with them as its peers, relays the children's lines to stdout
/// (a counter line before the greetings it caused) and prints the summary built from their
/// reports. A child that fails, a signal (SIGINT, SIGTERM) or the timeout ends the run with an
/// error on stderr and status 1. Every child is killed and reaped on every path (and dies with
/// this process, PR_SET_PDEATHSIG). Call it before any thread starts (it forks).
int launch_processes(const launch_plan& plan);

} // namespace actor_scheduler
