// Dining philosophers with troupe's pattern actors: the naive version deadlocks (detected by
// a timeout and reported), resource ordering, a waiter (a semaphore of N-1 seats) and the
// Banker's algorithm finish every meal. Run with --help.

#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/system_messages.hpp>

#include <troupe/actors/banker.hpp>
#include <troupe/actors/barrier.hpp>
#include <troupe/actors/semaphore.hpp>
#include <troupe/troupe.hpp>

namespace {

using troupe::actors::banker;
using troupe::actors::barrier;
using troupe::actors::resource_vector;
using troupe::actors::semaphore;

constexpr const char* program = "dining_philosophers";

constexpr const char* description =
  "dining_philosophers: N philosophers around a table, a fork between each two; a\n"
  "philosopher eats with both forks. Forks are troupe::actors::semaphore mutexes.\n"
  "\n"
  "  naive    each takes the left fork, then the right one. Run in its worst interleaving\n"
  "           (a barrier lets every philosopher pick up the left fork before anyone\n"
  "           reaches for the right one), it deadlocks: each right-fork wait gives up\n"
  "           after --timeout and the deadlock is reported; nothing hangs.\n"
  "  ordered  each takes the lower-numbered fork first: no cycle, no deadlock.\n"
  "  waiter   a semaphore of N-1 seats: at most N-1 reach for forks at once.\n"
  "  banker   the forks are the resources of a troupe::actors::banker: each philosopher\n"
  "           claims its two forks, and a request that would leave the table unsafe waits.\n"
  "\n"
  "Each of the last three serves --meals meals to every philosopher; the summary shows the\n"
  "meals eaten per version.\n"
  "\n"
  "usage: dining_philosophers [--philosophers=5 --meals=3 --eat=1ms --timeout=200ms]\n"
  "\n";

/// The sample's options, parsed by CAF from the command line or a config file.
struct sample_config : troupe::config {
  int32_t philosophers = 5;
  int32_t meals = 3;
  caf::timespan eat = std::chrono::milliseconds{1};
  caf::timespan timeout = std::chrono::milliseconds{200};

  sample_config() {
    troupe::actors::add_error_names(*this);
    opt_group{custom_options_, "global"}
      .add(philosophers, "philosophers", "number of philosophers (>= 2, default 5)")
      .add(meals, "meals", "meals per philosopher (default 3)")
      .add(eat, "eat", "how long a meal takes (default 1ms)")
      .add(timeout, "timeout", "how long the naive version waits for a fork (default 200ms)");
  }
};

void print_line(std::string line) {
  line += '\n';
  std::cout << line << std::flush;
}

using none_atom = caf::atom_constant<caf::atom("none")>;
/// What a philosopher reports: how many meals it ate, and whether it got stuck.
using report_atom = caf::atom_constant<caf::atom("report")>;

/// How long the troupe versions may wait for a fork: far longer than they ever do.
constexpr std::chrono::minutes patient{1};

/// Fails the philosopher (its actor exits with the error) if `x` holds an error.
template <class T> void check(const caf::expected<T>& x, const char* what) {
  if (!x)
    throw std::runtime_error(std::string{what} + ": " + caf::to_string(x.error()));
}

troupe::task naive(troupe::co_actor& self, std::vector<semaphore> forks, barrier all_hold_left,
                   int32_t me, caf::timespan timeout, caf::actor main) {
  auto& left = forks[me];
  auto& right = forks[(me + 1) % forks.size()];
  check(co_await left.acquire(self, 1, patient), "left fork");
  check(co_await all_hold_left.arrive_and_wait(self, patient), "barrier");
  auto got = co_await right.acquire(self, 1, timeout);
  self.send(main, report_atom::value, int32_t{0}, !got);
  // Keeps its fork until every philosopher reported: leaving now would hand its left fork to
  // a neighbour still waiting, and hide the deadlock.
  (void)co_await self.receive<none_atom>();
}

troupe::task ordered(troupe::co_actor& self, std::vector<semaphore> forks, int32_t me,
                     int32_t meals, caf::timespan eat, caf::actor main) {
  auto a = static_cast<size_t>(me);
  auto b = (a + 1) % forks.size();
  auto& first = forks[std::min(a, b)];
  auto& second = forks[std::max(a, b)];
  for (int32_t m = 0; m < meals; ++m) {
    check(co_await first.acquire(self, 1, patient), "first fork");
    check(co_await second.acquire(self, 1, patient), "second fork");
    (void)co_await self.receive<none_atom>(eat);
    check(co_await second.release(self), "release");
    check(co_await first.release(self), "release");
  }
  self.send(main, report_atom::value, meals, false);
}

troupe::task with_waiter(troupe::co_actor& self, std::vector<semaphore> forks, semaphore seats,
                         int32_t me, int32_t meals, caf::timespan eat, caf::actor main) {
  auto& left = forks[me];
  auto& right = forks[(me + 1) % forks.size()];
  for (int32_t m = 0; m < meals; ++m) {
    check(co_await seats.acquire(self, 1, patient), "seat");
    check(co_await left.acquire(self, 1, patient), "left fork");
    check(co_await right.acquire(self, 1, patient), "right fork");
    (void)co_await self.receive<none_atom>(eat);
    check(co_await right.release(self), "release");
    check(co_await left.release(self), "release");
    check(co_await seats.release(self), "release");
  }
  self.send(main, report_atom::value, meals, false);
}

troupe::task with_banker(troupe::co_actor& self, banker b, int32_t n, int32_t me, int32_t meals,
                         caf::timespan eat, caf::actor main) {
  auto fork = [n](int32_t i) {
    resource_vector x(static_cast<size_t>(n), 0);
    x[static_cast<size_t>(i % n)] = 1;
    return x;
  };
  auto both = fork(me);
  both[static_cast<size_t>((me + 1) % n)] = 1;
  check(co_await b.claim(self, both), "claim");
  for (int32_t m = 0; m < meals; ++m) {
    check(co_await b.request(self, fork(me), patient), "left fork");
    check(co_await b.request(self, fork(me + 1), patient), "right fork");
    (void)co_await self.receive<none_atom>(eat);
    check(co_await b.release(self, both), "release");
  }
  self.send(main, report_atom::value, meals, false);
}

/// Collects the reports of the philosophers `table`, then lets them go and waits for them to
/// exit: total meals and how many got stuck.
std::optional<std::pair<int32_t, int32_t>> collect(troupe::system& sys, caf::scoped_actor& self,
                                                   const std::vector<caf::actor>& table) {
  int32_t meals = 0;
  int32_t stuck = 0;
  caf::error failure;
  size_t reports = 0;
  size_t downs = 0;
  auto on_down = [&](caf::down_msg& down) {
    ++downs;
    if (down.reason && !failure)
      failure = down.reason;
  };
  while (reports < table.size() && !failure)
    self->receive(
      [&](report_atom, int32_t eaten, bool was_stuck) {
        ++reports;
        meals += eaten;
        stuck += was_stuck ? 1 : 0;
      },
      on_down);
  for (auto& philosopher : table)
    self->send(philosopher, none_atom::value);
  while (downs < table.size())
    self->receive(on_down, [&](report_atom, int32_t, bool) {});
  if (failure) {
    std::cerr << program << ": a philosopher failed: " << sys.engine().render(failure) << "\n";
    return std::nullopt;
  }
  return std::pair{meals, stuck};
}

std::optional<std::vector<semaphore>> make_forks(troupe::system& sys, int32_t n) {
  std::vector<semaphore> forks;
  for (int32_t i = 0; i < n; ++i) {
    auto fork = semaphore::spawn(sys, 1);
    if (!fork)
      return std::nullopt;
    forks.push_back(*fork);
  }
  return forks;
}

/// Runs one version; returns "<meals>/<expected> meals", "deadlock" or nullopt on failure.
template <class Spawn>
std::optional<std::string> run_version(troupe::system& sys, const sample_config& cfg,
                                       Spawn spawn_one) {
  caf::scoped_actor self{sys.engine()};
  auto main = caf::actor_cast<caf::actor>(self);
  std::vector<caf::actor> table;
  for (int32_t i = 0; i < cfg.philosophers; ++i) {
    table.push_back(spawn_one(i, main));
    self->monitor(table.back());
  }
  auto result = collect(sys, self, table);
  if (!result)
    return std::nullopt;
  auto [meals, stuck] = *result;
  if (stuck == cfg.philosophers)
    return std::string{"deadlock"};
  return std::to_string(meals) + "/" + std::to_string(cfg.philosophers * cfg.meals) + " meals";
}

std::optional<int> parse(sample_config& cfg, int argc, char** argv) {
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return code;
  if (cfg.philosophers < 2) {
    std::cerr << program << ": --philosophers must be >= 2, got " << cfg.philosophers
              << "; see --help\n";
    return 2;
  }
  if (cfg.meals < 1) {
    std::cerr << program << ": --meals must be >= 1, got " << cfg.meals << "; see --help\n";
    return 2;
  }
  if (cfg.eat.count() < 0 || cfg.timeout.count() <= 0) {
    std::cerr << program << ": --eat must not be negative and --timeout must be positive\n";
    return 2;
  }
  return std::nullopt;
}

int run(troupe::system& sys, const sample_config& cfg) {
  const auto n = cfg.philosophers;
  auto forks = make_forks(sys, n);
  auto gate = barrier::spawn(sys, n);
  auto seats = semaphore::spawn(sys, n - 1);
  auto table = banker::spawn(sys, resource_vector(static_cast<size_t>(n), 1));
  if (!forks || !gate || !seats || !table) {
    std::cerr << program << ": cannot spawn the pattern actors\n";
    return 1;
  }
  auto naive_result = run_version(sys, cfg, [&](int32_t i, caf::actor main) {
    return sys.spawn(naive, *forks, *gate, i, cfg.timeout, main);
  });
  if (!naive_result)
    return 1;
  if (*naive_result == "deadlock")
    print_line("naive: deadlock: all " + std::to_string(n) +
               " philosophers hold their left fork and wait for the right one; each wait "
               "gave up after the timeout");
  else
    print_line("naive: no deadlock this time");
  // The naive philosophers are gone: their forks came back to the semaphores.
  auto ordered_result = run_version(sys, cfg, [&](int32_t i, caf::actor main) {
    return sys.spawn(ordered, *forks, i, cfg.meals, cfg.eat, main);
  });
  auto waiter_result = run_version(sys, cfg, [&](int32_t i, caf::actor main) {
    return sys.spawn(with_waiter, *forks, *seats, i, cfg.meals, cfg.eat, main);
  });
  auto banker_result = run_version(sys, cfg, [&](int32_t i, caf::actor main) {
    return sys.spawn(with_banker, *table, n, i, cfg.meals, cfg.eat, main);
  });
  if (!ordered_result || !waiter_result || !banker_result)
    return 1;
  print_line("ordered: " + *ordered_result);
  print_line("waiter: " + *waiter_result);
  print_line("banker: " + *banker_result);
  print_line("summary: naive=" + *naive_result + " ordered=" + *ordered_result +
             " waiter=" + *waiter_result + " banker=" + *banker_result);
  auto all = std::to_string(n * cfg.meals) + "/" + std::to_string(n * cfg.meals) + " meals";
  return *naive_result == "deadlock" && *ordered_result == all && *waiter_result == all &&
             *banker_result == all
           ? 0
           : 1;
}

} // namespace

int main(int argc, char** argv) {
  sample_config cfg;
  if (auto code = parse(cfg, argc, argv))
    return *code;
  troupe::system sys{cfg};
  auto code = run(sys, cfg);
  if (code != 0)
    sys.shutdown();
  return code;
}
