// The actor scheduler of a Python generator tutorial, as troupe actors: three named
// coroutine actors, `counter` counts down from N and tells `say_hello` and `say_hi` each
// number, by name. Run with --help for the options.

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

#include <caf/atom.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/system_messages.hpp>

#include <troupe/troupe.hpp>

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
  "\n";

/// The sample's options, parsed by CAF from the command line or a config file.
struct scheduler_config : troupe::config {
  int32_t n = 10;
  bool quiet = false;

  scheduler_config() {
    opt_group{custom_options_, "global"}
      .add(n, "n", "the number counter starts from (>= 0, default 10)")
      .add(quiet, "quiet,q", "print only the summary line");
  }
};

/// Tells counter that it is done; say_hello and say_hi stop once it arrives.
using done_atom = caf::atom_constant<caf::atom("done")>;
/// What each actor sends the collector (main) when it stops: its name and message count.
using report_atom = caf::atom_constant<caf::atom("report")>;

/// Prints `line` in a single write, so that lines of concurrent actors never tear.
void print_line(std::string line) {
  line += '\n';
  std::cout << line;
}

/// Throws if a send by name failed: the actor then stops with an error that main sees.
void check(const caf::error& err, const char* what) {
  if (err)
    throw std::runtime_error(std::string{what} + ": " + to_string(err));
}

/// say_hello and say_hi: print every number as "<label> n" until counter is done.
troupe::task greeter(troupe::co_actor& self, std::string name, std::string label, bool quiet,
                     caf::actor collector) {
  int64_t count = 0;
  for (;;) {
    auto msg = co_await self.receive<int32_t, done_atom>();
    if (std::holds_alternative<done_atom>(msg))
      break;
    ++count;
    if (!quiet)
      print_line(label + " " + std::to_string(std::get<int32_t>(msg)));
  }
  self.send(collector, report_atom::value, name, count);
}

/// counter: counts down from the first number it receives to 0, by sending itself n-1.
troupe::task counter(troupe::co_actor& self, bool quiet, caf::actor collector) {
  int64_t count = 0;
  for (;;) {
    auto n = co_await self.receive<int32_t>();
    ++count;
    if (!quiet)
      print_line("counter: " + std::to_string(n));
    if (n <= 0)
      break;
    check(self.send("say_hello", n), "send to say_hello");
    check(self.send("say_hi", n), "send to say_hi");
    check(self.send("counter", n - 1), "send to counter");
  }
  // Sent after every number, so by per-sender ordering it arrives after all of them.
  check(self.send("say_hello", done_atom::value), "send to say_hello");
  check(self.send("say_hi", done_atom::value), "send to say_hi");
  self.send(collector, report_atom::value, std::string{"counter"}, count);
}

/// Parses the command line. Returns the exit code if the program should stop now.
std::optional<int> parse(scheduler_config& cfg, int argc, char** argv) {
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return code;
  if (cfg.n < 0) {
    std::cerr << program << ": --n must be >= 0, got " << cfg.n << "; see --help\n";
    return 2;
  }
  return std::nullopt;
}

/// Spawns the three actors, starts counter and prints the summary of their reports.
int run(troupe::system& sys, const scheduler_config& cfg) {
  caf::scoped_actor self{sys.engine()};
  auto collector = caf::actor_cast<caf::actor>(self);
  auto spawned = {
    sys.spawn_named("say_hello", greeter, std::string{"say_hello"}, std::string{"say hello"},
                    cfg.quiet, collector),
    sys.spawn_named("say_hi", greeter, std::string{"say_hi"}, std::string{"say hi"}, cfg.quiet,
                    collector),
    sys.spawn_named("counter", counter, cfg.quiet, collector),
  };
  for (const auto& who : spawned) {
    if (!who) {
      std::cerr << program << ": cannot spawn: " << sys.engine().render(who.error()) << "\n";
      return 1;
    }
    self->monitor(*who);
  }
  if (auto err = sys.send("counter", cfg.n)) {
    std::cerr << program << ": " << sys.engine().render(err) << "\n";
    return 1;
  }
  std::map<std::string, int64_t> counts;
  caf::error failure;
  while (counts.size() < spawned.size() && !failure)
    self->receive(
      [&](report_atom, const std::string& name, int64_t count) { counts[name] = count; },
      [&](caf::down_msg& down) { failure = std::move(down.reason); });
  if (failure) {
    std::cerr << program << ": an actor failed: " << sys.engine().render(failure) << "\n";
    return 1;
  }
  print_line("summary: say_hello=" + std::to_string(counts["say_hello"]) + " say_hi=" +
             std::to_string(counts["say_hi"]) + " counter=" + std::to_string(counts["counter"]));
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  scheduler_config cfg;
  if (auto code = parse(cfg, argc, argv))
    return *code;
  troupe::system sys{cfg};
  auto code = run(sys, cfg);
  // After a failure, actors may wait for messages that never come: stop them. This waits for
  // every actor, so it must run after run()'s scoped_actor is gone (it counts as one).
  if (code != 0)
    sys.shutdown();
  return code;
}
