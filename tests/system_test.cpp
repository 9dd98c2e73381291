// troupe::system: its configuration (from code and from the command line) and its lifetime.

#include <atomic>
#include <functional>
#include <latch>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/scheduler/coordinator.hpp>

#include "test_helpers.hpp"
#include "troupe/system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::test::error_of;
using troupe::test::next;
using troupe::test::patience;
using troupe::test::probe;

namespace {

/// The scheduler the running engine actually uses.
caf::scheduler::abstract_coordinator& scheduler(troupe::system& sys) {
  return sys.engine().scheduler();
}

/// Whether the running scheduler is CAF's coordinator with `Policy`.
template <class Policy>
bool runs_policy(troupe::system& sys) {
  return dynamic_cast<caf::scheduler::coordinator<Policy>*>(&scheduler(sys)) != nullptr;
}

/// Parses `args` (without the program name) into `cfg`.
caf::error parse(troupe::config& cfg, std::vector<std::string> args) {
  std::vector<char*> argv;
  std::string program = "troupe_core_tests";
  argv.push_back(program.data());
  for (auto& arg : args)
    argv.push_back(arg.data());
  return cfg.parse(static_cast<int>(argv.size()), argv.data());
}

} // namespace

TEST_CASE("system: the default configuration is troupe's, not CAF's") {
  troupe::system sys;
  // One worker per core but one, and at least one: asked of the running scheduler.
  auto cores = std::thread::hardware_concurrency();
  size_t workers = cores > 1 ? cores - 1 : 1;
  CHECK(troupe::config::default_workers() == workers);
  CHECK(scheduler(sys).num_workers() == workers);
  CHECK(scheduler(sys).max_throughput() == troupe::config::default_max_throughput);
  CHECK(runs_policy<caf::policy::work_stealing>(sys));
  CHECK_FALSE(runs_policy<caf::policy::work_sharing>(sys));
  CHECK(sys.cfg().request_timeout == troupe::config::default_request_timeout);
}

TEST_CASE("system: settings made in code reach the engine") {
  troupe::config cfg;
  cfg.set("scheduler.max-threads", 1);
  cfg.set("scheduler.max-throughput", 7);
  troupe::system sys{cfg};
  CHECK(&sys.cfg() == &cfg);
  CHECK(scheduler(sys).num_workers() == 1);
  CHECK(scheduler(sys).max_throughput() == 7);
  // One worker still runs every actor.
  probe p{sys};
  auto echo = sys.spawn([](co_actor& self) -> task {
    auto n = co_await self.receive<int>();
    (void)self.reply(n);
  });
  CHECK(troupe::test::ask(p, echo, 3) == 3);
}

TEST_CASE("system: settings from the command line reach the engine and troupe") {
  troupe::config cfg;
  REQUIRE(!parse(cfg, {"--scheduler.max-threads=3", "--scheduler.policy=sharing",
                       "--troupe.request-timeout=50ms"}));
  troupe::system sys{cfg};
  CHECK(scheduler(sys).num_workers() == 3);
  CHECK(runs_policy<caf::policy::work_sharing>(sys));
  CHECK(cfg.request_timeout == caf::timespan{50ms});
  CHECK(sys.cfg().request_timeout == caf::timespan{50ms});
}

TEST_CASE("system: settings from a config file reach the engine and troupe") {
  std::istringstream file{"[scheduler]\nmax-threads=3\nmax-throughput=5\n"
                          "[troupe]\nrequest-timeout=75ms\n"};
  troupe::config cfg;
  REQUIRE(!cfg.parse(caf::actor_system_config::string_list{}, file));
  troupe::system sys{cfg};
  CHECK(scheduler(sys).num_workers() == 3);
  CHECK(scheduler(sys).max_throughput() == 5);
  CHECK(cfg.request_timeout == caf::timespan{75ms});
}

TEST_CASE("system: a malformed command line is refused with an error, not ignored") {
  troupe::config cfg;
  // CAF's parser stops at the 'm' where a number must start, and names the argument.
  auto err = parse(cfg, {"--scheduler.max-threads=many"});
  CHECK(err == caf::pec::unexpected_character);
  CHECK(caf::to_string(err.context()).find("--scheduler.max-threads=many") != std::string::npos);
}

TEST_CASE("system: a request without a timeout waits for troupe.request-timeout") {
  // 50 ms instead of the default 10 s: with the default the reply would not come in 5 s.
  troupe::config cfg;
  REQUIRE(!parse(cfg, {"--troupe.request-timeout=50ms", "--scheduler.max-threads=4"}));
  troupe::system sys{cfg};
  probe p{sys};
  REQUIRE(sys.spawn_named("keeper", [](co_actor& self) -> task {
    (void)co_await self.receive<int>();
    auto never = self.take_reply_promise();
    (void)co_await self.receive<std::string>();
  }));
  auto keeper = *sys.lookup("keeper");
  auto requester = sys.spawn(
    [](co_actor& self, caf::actor keeper, caf::actor reporter) -> task {
      auto by_handle = co_await self.request<int>(keeper, 1);
      self.send(reporter, error_of(by_handle));
      auto by_name = co_await self.request<int>("keeper", 2);
      self.send(reporter, error_of(by_name));
    },
    keeper, p.handle());
  CHECK(next<caf::error>(p) == caf::sec::request_timeout);
  CHECK(next<caf::error>(p) == caf::sec::request_timeout);
  sys.shutdown();
}

TEST_CASE("system: shutdown stops named and anonymous actors that wait forever") {
  constexpr int anonymous = 10;
  troupe::test::parallel_system sys;
  probe p{sys};
  auto forever = [](co_actor& self) -> task { (void)co_await self.receive<std::string>(); };
  auto until_late = [](co_actor& self) -> task { (void)co_await self.receive<int>(1h); };
  std::vector<caf::actor> actors;
  for (int i = 0; i < anonymous; ++i)
    actors.push_back(sys.spawn(forever));
  actors.push_back(sys.spawn(until_late));
  for (auto name : {"one", "two", "three"})
    actors.push_back(*sys.spawn_named(name, forever));
  auto plain = sys.engine().spawn([](caf::event_based_actor*, int) -> caf::behavior {
    return {[](int x) { return x; }};
  }, 0);
  REQUIRE(!sys.register_name("plain", plain));
  actors.push_back(plain);
  for (auto& a : actors)
    p->monitor(a);
  sys.shutdown(); // returns only once every actor has exited
  CHECK(sys.names().empty());
  int stopped = 0;
  for (size_t i = 0; i < actors.size(); ++i)
    if (next<caf::down_msg>(p).reason == caf::exit_reason::user_shutdown)
      ++stopped;
  CHECK(stopped == static_cast<int>(actors.size()));
}

TEST_CASE("system: the core suite runs four workers whatever the host, and actors use several") {
  constexpr int actors = 1000;
  troupe::test::parallel_system sys;
  CHECK(scheduler(sys).num_workers() == troupe::test::test_workers);
  CHECK(runs_policy<caf::policy::work_stealing>(sys));
  probe p{sys};
  auto report_thread = [](co_actor& self, caf::actor reporter) -> task {
    (void)co_await self.receive<bool>();
    self.send(reporter, std::hash<std::thread::id>{}(std::this_thread::get_id()));
  };
  for (int i = 0; i < actors; ++i)
    p->send(sys.spawn(report_thread, p.handle()), true);
  std::set<size_t> threads;
  for (int i = 0; i < actors; ++i)
    threads.insert(next<size_t>(p));
  CHECK(threads.size() >= 2);
  CHECK(threads.size() <= troupe::test::test_workers);
}

TEST_CASE("system: a second shutdown returns at once, and the system runs new actors after it") {
  troupe::test::parallel_system sys;
  auto waiting = [](co_actor& self) -> task { (void)co_await self.receive<std::string>(); };
  REQUIRE(sys.spawn_named("first", waiting));
  sys.shutdown();
  sys.shutdown();
  CHECK(sys.names().empty());
  probe p{sys};
  auto echo = sys.spawn([](co_actor& self) -> task {
    auto n = co_await self.receive<int>();
    (void)self.reply(n);
  });
  CHECK(troupe::test::ask(p, echo, 8) == 8);
  REQUIRE(sys.spawn_named("second", waiting));
  auto second = *sys.lookup("second");
  p->monitor(second);
  sys.shutdown();
  CHECK(next<caf::down_msg>(p).reason == caf::exit_reason::user_shutdown);
  CHECK(sys.names().empty());
}

TEST_CASE("system: shutdown racing spawns on another thread returns and stops what it saw") {
  constexpr int spawns = 2000;
  troupe::test::parallel_system sys;
  auto waiting = [](co_actor& self) -> task { (void)co_await self.receive<std::string>(); };
  std::vector<caf::actor> spawned(spawns * 2);
  std::atomic<size_t> published{0};
  std::latch quarter_done{1};
  std::thread spawner([&] {
    for (int i = 0; i < spawns; ++i) {
      auto at = published.load();
      spawned[at] = sys.spawn(waiting);
      if (auto named = sys.spawn_named("racer-" + std::to_string(i), waiting)) {
        spawned[at + 1] = *named;
        published.store(at + 2);
      } else {
        published.store(at + 1);
      }
      if (i == spawns / 4)
        quarter_done.count_down();
    }
  });
  // Shut down while the other thread spawns, on a third thread: a shutdown that never
  // returns is reported here instead of hanging the test.
  std::atomic<bool> done{false};
  size_t seen_before = 0;
  std::thread stopper([&] {
    quarter_done.wait();
    seen_before = published.load();
    sys.shutdown();
    done = true;
  });
  spawner.join();
  {
    // Waits on messages, not sleeps: a probe whose receive times out once per round.
    probe p{sys};
    for (int round = 0; round < 50 && !done; ++round)
      p->receive(caf::after(std::chrono::milliseconds{100}) >> [] {});
  }
  bool returned = done;
  if (!returned)
    sys.shutdown(); // stops what the first one missed, so that it returns and the test ends
  stopper.join();
  CHECK(returned);
  auto terminated = [](const caf::actor& a) {
    return caf::actor_cast<caf::abstract_actor*>(a)->getf(
      caf::abstract_actor::is_terminated_flag);
  };
  // Every actor spawned before the shutdown began was stopped by it.
  size_t stopped = 0;
  for (size_t i = 0; i < seen_before; ++i)
    stopped += terminated(spawned[i]) ? 1 : 0;
  CHECK(stopped == seen_before);
  // Actors spawned after it returned run on; one more shutdown stops them all.
  sys.shutdown();
  CHECK(sys.names().empty());
  size_t all_stopped = 0;
  for (size_t i = 0; i < published.load(); ++i)
    all_stopped += terminated(spawned[i]) ? 1 : 0;
  CHECK(all_stopped == published.load());
}
