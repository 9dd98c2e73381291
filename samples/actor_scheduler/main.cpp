// The actor scheduler of a Python generator tutorial, as troupe actors: three named
// coroutine actors, `counter` counts down from N and tells `say_hello` and `say_hi` each
// number, by name; in one process, or each actor in its own process (--role, --processes).
// Run with --help for the options.

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <caf/atom.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/system_messages.hpp>

#include <troupe/net/net.hpp>
#include <troupe/troupe.hpp>

#include "launcher.hpp"

namespace {

constexpr const char* program = "actor_scheduler";

constexpr const char* description =
  "actor_scheduler: three named coroutine actors pass numbers by name.\n"
  "'counter' receives N, prints \"counter: N\", sends N to 'say_hello' and 'say_hi'\n"
  "and N-1 to itself, until it reaches 0; then it tells the other two that it is done.\n"
  "'say_hello' prints \"say hello N\", 'say_hi' prints \"say hi N\". Lines of different\n"
  "actors interleave; each actor's own lines keep their order. The last line is a\n"
  "summary of how many messages each actor handled.\n"
  "\n"
  "usage: actor_scheduler [--n=N] [--quiet] [CAF options, e.g. --scheduler.max-threads=2]\n"
  "       actor_scheduler --processes [--n=N] [--quiet] [--timeout=SECONDS]\n"
  "       actor_scheduler --role=say_hello|say_hi [--listen=ENDPOINT]\n"
  "       actor_scheduler --role=counter --say-hello=ENDPOINT --say-hi=ENDPOINT [--n=N]\n"
  "\n"
  "With --role, this process runs one actor and listens on ENDPOINT (127.0.0.1:PORT, port 0\n"
  "by default: the OS chooses; or unix:/path); it prints \"listening on ENDPOINT\" first,\n"
  "then its actor's lines, then \"report: ROLE=COUNT\". counter sends to\n"
  "say_hello@ENDPOINT and say_hi@ENDPOINT, so start the greeters first. Each process exits\n"
  "when its part is done, or with status 1 and the error when a peer is lost.\n"
  "--processes starts the three roles as child processes, passes them each other's\n"
  "endpoints and prints what the one-process run prints. --die-after=K makes a role kill\n"
  "itself (SIGKILL) when message K+1 arrives, --freeze-after=K stop itself (SIGSTOP); with\n"
  "--processes, the role --die-role=ROLE does. A frozen peer is lost after\n"
  "--troupe.net.peer-timeout (4 s by default).\n"
  "\n";

/// The sample's options, parsed by CAF from the command line or a config file.
struct scheduler_config : troupe::config {
  int32_t n = 10;
  bool quiet = false;
  std::string role;
  std::string listen = "127.0.0.1:0";
  std::string say_hello;
  std::string say_hi;
  bool processes = false;
  int32_t timeout = 300;
  int64_t die_after = -1;
  int64_t freeze_after = -1;
  std::string die_role;

  scheduler_config() {
    opt_group{custom_options_, "global"}
      .add(n, "n", "the number counter starts from (>= 0, default 10)")
      .add(quiet, "quiet,q", "print only the summary line")
      .add(role, "role", "run one actor in this process: counter, say_hello or say_hi")
      .add(listen, "listen", "with --role: where to listen (default 127.0.0.1:0)")
      .add(say_hello, "say-hello", "with --role=counter: the endpoint of say_hello's process")
      .add(say_hi, "say-hi", "with --role=counter: the endpoint of say_hi's process")
      .add(processes, "processes", "run each actor in its own child process")
      .add(timeout, "timeout", "with --processes: seconds the run may take (default 300)")
      .add(die_after, "die-after", "kill the process (SIGKILL) after this many messages")
      .add(freeze_after, "freeze-after", "stop the process (SIGSTOP) after this many messages")
      .add(die_role, "die-role", "with --processes: the role that gets --die/freeze-after");
  }
};

/// Tells the greeters that counter is done (it never greets 0); they answer with their count.
/// An int32 like the numbers: it crosses between processes as google.protobuf.Int32Value.
constexpr int32_t done = 0;
/// What each actor sends the collector (main) when it stops: its name and message count.
using report_atom = caf::atom_constant<caf::atom("report")>;

constexpr const char* roles[] = {"counter", "say_hello", "say_hi"};

/// How long counter waits for a greeter's answer to done: as long as a live greeter needs to
/// work through the numbers before it. A lost process fails the request at once (node_down).
constexpr auto done_wait = std::chrono::hours{24};

/// Prints `line` in a single write, so that lines of concurrent actors never tear.
void print_line(std::string line) {
  line += '\n';
  std::cout << line;
}

/// Ends the actor with `what` and `err`: main sees it as the actor's exit reason.
[[noreturn]] void fail(troupe::co_actor& self, const std::string& what, const caf::error& err) {
  throw std::runtime_error(what + ": " + self.system().engine().render(err));
}

/// Fails the actor if a send by name or address failed.
void check(troupe::co_actor& self, const caf::error& err, const std::string& to) {
  if (err)
    fail(self, "send to " + to, err);
}

/// When this process should fail on purpose, to show how a lost process is reported
/// (-1: never): after so many messages it kills (SIGKILL) or stops (SIGSTOP) itself.
struct failure_plan {
  int64_t die_after = -1;
  int64_t freeze_after = -1;
};

/// Fails this process as `plan` says once `count` messages were handled.
void maybe_fail(int64_t count, failure_plan plan) {
  if (count == plan.die_after)
    raise(SIGKILL); // a crash: no goodbye, no closing of sockets by the program
  if (count == plan.freeze_after)
    raise(SIGSTOP); // a frozen process: its sockets stay open, nothing more is read
}

/// say_hello and say_hi: print every number as "<label> n" until counter is done.
troupe::task greeter(troupe::co_actor& self, std::string name, std::string label, bool quiet,
                     caf::actor collector, failure_plan plan) {
  int64_t count = 0;
  bool watching = false;
  for (;;) {
    auto msg = co_await self.receive<int32_t, caf::down_msg>();
    if (auto* down = std::get_if<caf::down_msg>(&msg))
      fail(self, name + ": counter stopped", down->reason);
    // Watch whoever counts (in another process: its proxy): if it is lost, this actor ends
    // with the reason instead of waiting for numbers that never come.
    if (!watching && self.sender()) {
      self.monitor(caf::actor_cast<caf::actor>(self.sender()));
      watching = true;
    }
    auto n = std::get<int32_t>(msg);
    if (n == done) {
      self.reply(count);
      break;
    }
    maybe_fail(count, plan);
    ++count;
    if (!quiet)
      print_line(label + " " + std::to_string(n));
  }
  self.send(collector, report_atom::value, name, count);
}

/// counter: counts down from the first number it receives to 0, by sending itself n-1, and
/// sends each number to `greeters` (local names, or name@endpoint in other processes).
troupe::task counter(troupe::co_actor& self, bool quiet, caf::actor collector,
                     std::vector<std::string> greeters, failure_plan plan) {
  // Watch the greeters, so that losing one ends this actor with the reason rather than
  // sending into the void; resolving a remote one also connects to its process first.
  for (const auto& address : greeters) {
    auto who = co_await self.resolve(address);
    if (!who)
      fail(self, "cannot reach " + address, who.error());
    self.monitor(*who);
  }
  int64_t count = 0;
  for (;;) {
    auto msg = co_await self.receive<int32_t, caf::down_msg, caf::error>();
    if (auto* down = std::get_if<caf::down_msg>(&msg))
      fail(self, "counter: a greeter stopped", down->reason);
    if (auto* err = std::get_if<caf::error>(&msg))
      fail(self, "counter: a send failed", *err); // e.g. a lost node or a full send window
    auto n = std::get<int32_t>(msg);
    maybe_fail(count, plan);
    ++count;
    if (!quiet)
      print_line("counter: " + std::to_string(n));
    if (n <= 0)
      break;
    for (const auto& address : greeters)
      check(self, self.send(address, n), address);
    check(self, self.send("counter", n - 1), "counter");
  }
  // A request, answered after every number sent before it (one sender's messages keep their
  // order): once both answered, the greeters have had every number and may exit.
  for (const auto& address : greeters) {
    auto got = co_await self.request<int64_t>(address, done_wait, done);
    if (!got)
      fail(self, "counter: " + address + " did not confirm the end", got.error());
    if (*got != count - 1)
      throw std::runtime_error("counter: " + address + " handled " + std::to_string(*got) +
                               " numbers, " + std::to_string(count - 1) + " were sent");
  }
  self.send(collector, report_atom::value, std::string{"counter"}, count);
}

/// Which actors run in this process and where counter finds the greeters.
struct placement {
  std::vector<std::string> here;
  std::string say_hello = "say_hello";
  std::string say_hi = "say_hi";
};

/// Spawns the actors of `where`, starts counter if it is here and collects their reports.
/// Returns the exit code; prints the summary (all three here) or this role's report.
int run(troupe::system& sys, const scheduler_config& cfg, const placement& where) {
  caf::scoped_actor self{sys.engine()};
  auto collector = caf::actor_cast<caf::actor>(self);
  for (const auto& name : where.here) {
    caf::expected<caf::actor> who{caf::actor{}};
    if (name == "counter")
      who = sys.spawn_named(name, counter, cfg.quiet, collector,
                            std::vector<std::string>{where.say_hello, where.say_hi},
                            failure_plan{cfg.die_after, cfg.freeze_after});
    else
      who = sys.spawn_named(name, greeter, name,
                            name == "say_hello" ? std::string{"say hello"} : std::string{"say hi"},
                            cfg.quiet, collector, failure_plan{cfg.die_after, cfg.freeze_after});
    if (!who) {
      std::cerr << program << ": cannot spawn: " << sys.engine().render(who.error()) << "\n";
      return 1;
    }
    self->monitor(*who);
    // To the handle, not the name: counter may already have failed (a greeter it cannot
    // reach), and its down message then says why.
    if (name == "counter")
      caf::anon_send(*who, cfg.n);
  }
  // Until every actor has ended, not just reported: a peer that monitors one (another process)
  // is told by a hook that runs before the one telling this collector, so its Down is on its
  // way before the system (and its node) stops. A report comes before its sender's down.
  std::map<std::string, int64_t> counts;
  caf::error failure;
  size_t ended = 0;
  while (ended < where.here.size() && !failure)
    self->receive(
      [&](report_atom, const std::string& name, int64_t count) { counts[name] = count; },
      [&](caf::down_msg& down) {
        ++ended;
        failure = std::move(down.reason);
      });
  if (failure) {
    // One write: the launcher may kill this process mid-line when another one failed.
    std::cerr << (std::string{program} + ": an actor failed: " + sys.engine().render(failure) +
                  "\n");
    return 1;
  }
  if (counts.size() != where.here.size()) {
    std::cerr << program << ": an actor ended without its report\n";
    return 1;
  }
  if (where.here.size() == 1)
    print_line("report: " + where.here[0] + "=" + std::to_string(counts[where.here[0]]));
  else
    print_line("summary: say_hello=" + std::to_string(counts["say_hello"]) + " say_hi=" +
               std::to_string(counts["say_hi"]) + " counter=" + std::to_string(counts["counter"]));
  return 0;
}

/// Runs `sys` until `where`'s actors are done; after a failure, stops the actors that may wait
/// for messages that never come (after run()'s scoped_actor is gone: it counts as one).
int run_and_stop(troupe::system& sys, const scheduler_config& cfg, const placement& where) {
  auto code = run(sys, cfg, where);
  if (code != 0)
    sys.shutdown();
  return code;
}

/// --role: one actor in this process, reachable at the endpoint it prints first.
int run_role(scheduler_config& cfg) {
  troupe::system sys{cfg};
  auto bound = troupe::net::node_of(sys)->listen(cfg.listen);
  if (!bound) {
    std::cerr << program << ": cannot listen on " << cfg.listen << ": "
              << sys.engine().render(bound.error()) << "\n";
    return 1;
  }
  // One write per line, at once: a launcher reading several roles keeps causes before effects.
  std::cout << std::unitbuf;
  print_line("listening on " + *bound);
  placement where;
  where.here = {cfg.role};
  where.say_hello = "say_hello@" + cfg.say_hello;
  where.say_hi = "say_hi@" + cfg.say_hi;
  return run_and_stop(sys, cfg, where);
}

/// --processes: the three roles as child processes (no actor system here: it forks).
int run_processes(const scheduler_config& cfg, int argc, char** argv) {
  actor_scheduler::launch_plan plan;
  plan.common_args.push_back("--n=" + std::to_string(cfg.n));
  if (cfg.quiet)
    plan.common_args.push_back("--quiet");
  for (int i = 1; i < argc; ++i) // settings of the runtime reach every child
    if (std::string_view arg{argv[i]};
        arg.starts_with("--scheduler.") || arg.starts_with("--troupe."))
      plan.common_args.emplace_back(arg);
  plan.die_role = cfg.die_role;
  plan.die_arg = cfg.die_after >= 0 ? "--die-after=" + std::to_string(cfg.die_after)
                                    : "--freeze-after=" + std::to_string(cfg.freeze_after);
  plan.timeout = std::chrono::seconds{cfg.timeout};
  return actor_scheduler::launch_processes(plan);
}

bool is_role(std::string_view x) {
  for (auto* role : roles)
    if (x == role)
      return true;
  return false;
}

/// Whether the command line asks for another process: then the network layer is added (its
/// --troupe.net.* options too). The one-process run stays as it always was.
bool wants_network(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view arg{argv[i]}; arg.starts_with("--role") || arg.starts_with("--processes"))
      return true;
  return false;
}

/// Parses the command line. Returns the exit code if the program should stop now.
std::optional<int> parse(scheduler_config& cfg, int argc, char** argv) {
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return code;
  auto bad = [](const std::string& why) -> std::optional<int> {
    std::cerr << program << ": " << why << "; see --help\n";
    return 2;
  };
  if (cfg.n < 0)
    return bad("--n must be >= 0, got " + std::to_string(cfg.n));
  if (!cfg.role.empty() && !is_role(cfg.role))
    return bad("--role must be counter, say_hello or say_hi, got '" + cfg.role + "'");
  if (!cfg.role.empty() && cfg.processes)
    return bad("--role and --processes exclude each other");
  if (cfg.role == "counter" && (cfg.say_hello.empty() || cfg.say_hi.empty()))
    return bad("--role=counter needs --say-hello=ENDPOINT and --say-hi=ENDPOINT");
  if (cfg.role != "counter" && (!cfg.say_hello.empty() || !cfg.say_hi.empty()))
    return bad("--say-hello and --say-hi are for --role=counter");
  auto failing = cfg.die_after >= 0 || cfg.freeze_after >= 0;
  if (cfg.die_after >= 0 && cfg.freeze_after >= 0)
    return bad("--die-after and --freeze-after exclude each other");
  if (!cfg.die_role.empty() && (!cfg.processes || !is_role(cfg.die_role) || !failing))
    return bad("--die-role=ROLE (counter, say_hello or say_hi) needs --processes and "
               "--die-after or --freeze-after");
  if (failing && cfg.role.empty() && cfg.die_role.empty())
    return bad(std::string{cfg.die_after >= 0 ? "--die-after" : "--freeze-after"} +
               " needs --role or --die-role");
  if (cfg.processes && cfg.timeout <= 0)
    return bad("--timeout must be > 0, got " + std::to_string(cfg.timeout));
  return std::nullopt;
}

} // namespace

int main(int argc, char** argv) {
  scheduler_config cfg;
  if (wants_network(argc, argv))
    troupe::net::enable(cfg); // the numbers are int32, which always cross
  if (auto code = parse(cfg, argc, argv))
    return *code;
  if (cfg.processes)
    return run_processes(cfg, argc, argv);
  if (!cfg.role.empty())
    return run_role(cfg);
  troupe::system sys{cfg};
  placement everything;
  everything.here = {"say_hello", "say_hi", "counter"};
  return run_and_stop(sys, cfg, everything);
}
