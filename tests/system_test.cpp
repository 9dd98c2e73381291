// troupe::system: its configuration (from code and from the command line) and its lifetime.

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

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

size_t setting(troupe::system& sys, const char* name) {
  return caf::get_or(sys.engine().config(), name, size_t{0});
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
  // One worker per core but one, and at least one.
  auto cores = std::thread::hardware_concurrency();
  size_t workers = cores > 1 ? cores - 1 : 1;
  CHECK(troupe::config::default_workers() == workers);
  CHECK(setting(sys, "scheduler.max-threads") == workers);
  CHECK(sys.engine().scheduler().num_workers() == workers);
  CHECK(setting(sys, "scheduler.max-throughput") == troupe::config::default_max_throughput);
  CHECK(caf::get_or(sys.engine().config(), "scheduler.policy", caf::atom("")) ==
        caf::atom("stealing"));
  CHECK(sys.cfg().request_timeout == troupe::config::default_request_timeout);
}

TEST_CASE("system: settings made in code reach the engine") {
  troupe::config cfg;
  cfg.set("scheduler.max-threads", 1);
  cfg.set("scheduler.max-throughput", 7);
  troupe::system sys{cfg};
  CHECK(&sys.cfg() == &cfg);
  CHECK(setting(sys, "scheduler.max-threads") == 1);
  CHECK(sys.engine().scheduler().num_workers() == 1);
  CHECK(setting(sys, "scheduler.max-throughput") == 7);
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
  REQUIRE(!parse(cfg, {"--scheduler.max-threads=3", "--troupe.request-timeout=50ms"}));
  troupe::system sys{cfg};
  CHECK(setting(sys, "scheduler.max-threads") == 3);
  CHECK(sys.engine().scheduler().num_workers() == 3);
  CHECK(cfg.request_timeout == caf::timespan{50ms});
  CHECK(sys.cfg().request_timeout == caf::timespan{50ms});
}

TEST_CASE("system: settings from a config file reach the engine and troupe") {
  std::istringstream file{"[scheduler]\nmax-threads=3\nmax-throughput=5\n"
                          "[troupe]\nrequest-timeout=75ms\n"};
  troupe::config cfg;
  REQUIRE(!cfg.parse(caf::actor_system_config::string_list{}, file));
  troupe::system sys{cfg};
  CHECK(setting(sys, "scheduler.max-threads") == 3);
  CHECK(setting(sys, "scheduler.max-throughput") == 5);
  CHECK(cfg.request_timeout == caf::timespan{75ms});
}

TEST_CASE("system: a malformed command line is refused with an error, not ignored") {
  troupe::config cfg;
  CHECK(parse(cfg, {"--scheduler.max-threads=many"}) != caf::none);
}

TEST_CASE("system: a request without a timeout waits for troupe.request-timeout") {
  // 50 ms instead of the default 10 s: with the default the reply would not come in 5 s.
  troupe::config cfg;
  REQUIRE(!parse(cfg, {"--troupe.request-timeout=50ms"}));
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
  troupe::system sys;
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
