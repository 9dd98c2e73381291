// troupe::testing::deterministic_system: stepping, virtual time, recorded deliveries, seeded
// interleavings and teardown.

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include <doctest/doctest.h>

#include "troupe/testing/deterministic_system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::testing::deterministic_system;

namespace {

/// Reports every int it receives to `out`, doubled.
task doubling_relay(co_actor& self, caf::actor out) {
  for (;;)
    self.send(out, 2 * co_await self.receive<int>());
}

} // namespace

TEST_CASE("testing: nothing runs until the test runs the system, then every message is handled") {
  deterministic_system sys;
  auto out = sys.sink();
  auto relay = sys.spawn(doubling_relay, out);
  for (int i = 1; i <= 3; ++i)
    caf::anon_send(relay, i);
  CHECK(sys.ready() > 0);
  CHECK(sys.received_of<int>(out).empty());
  auto steps = sys.run();
  CHECK(steps >= 6); // three ints in, three out
  CHECK(sys.ready() == 0);
  CHECK(sys.received_of<int>(relay) == std::vector<int>{1, 2, 3});
  CHECK(sys.received_of<int>(out) == std::vector<int>{2, 4, 6});
  CHECK(sys.run() == 0); // idle stays idle
}

TEST_CASE("testing: run_one hands one message to one actor at a time") {
  deterministic_system sys;
  auto out = sys.sink();
  auto relay = sys.spawn(doubling_relay, out);
  sys.run(); // both start and wait
  caf::anon_send(relay, 5);
  caf::anon_send(relay, 6);
  REQUIRE(sys.ready() == 1);
  CHECK(sys.run_one()); // the relay takes 5 and sends 10
  CHECK(sys.received_of<int>(relay) == std::vector<int>{5});
  CHECK(sys.received_of<int>(out).empty());
  CHECK(sys.ready() == 2); // the relay (6 waits) and the sink (10 waits)
  sys.run();
  CHECK(sys.received_of<int>(out) == std::vector<int>{10, 12});
  CHECK_FALSE(sys.run_one());
}

TEST_CASE("testing: received by name shows what a named actor was handed, in order") {
  deterministic_system sys;
  auto out = sys.sink();
  REQUIRE(sys.spawn_named("relay", doubling_relay, out));
  REQUIRE(!sys.send("relay", 1));
  REQUIRE(!sys.send("relay", std::string{"not an int"}));
  REQUIRE(!sys.send("relay", 2));
  sys.run();
  auto got = sys.received("relay");
  REQUIRE(got.size() == 3);
  CHECK(got[0].match_elements<int>());
  CHECK(got[1].match_elements<std::string>());
  CHECK(got[2].get_as<int>(0) == 2);
  CHECK(sys.received_of<int>("relay") == std::vector<int>{1, 2});
  CHECK(sys.received("nobody").empty());
}

TEST_CASE("testing: a receive timeout fires when virtual time reaches it, not before") {
  deterministic_system sys;
  auto out = sys.sink();
  sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      auto first = co_await self.receive<int>(10s);
      self.send(out, first ? std::string{"value"} : std::string{"timed out"});
      auto second = co_await self.receive<int>(1h);
      self.send(out, second ? std::string{"value"} : std::string{"timed out"});
    },
    out);
  sys.run();
  CHECK(sys.has_pending_timers());
  CHECK(sys.advance_time(9s) == 0);
  sys.run();
  CHECK(sys.received_of<std::string>(out).empty());
  CHECK(sys.advance_time(1s) == 1);
  sys.run();
  CHECK(sys.received_of<std::string>(out) == std::vector<std::string>{"timed out"});
  // An hour passes in no time.
  CHECK(sys.fire_next_timer());
  sys.run();
  CHECK(sys.received_of<std::string>(out) == std::vector<std::string>{"timed out", "timed out"});
  CHECK(sys.elapsed() == caf::timespan{1h + 10s});
}

TEST_CASE("testing: a request timeout fires in virtual time and its late reply is dropped") {
  deterministic_system sys;
  auto out = sys.sink();
  auto keeper = sys.spawn([](co_actor& self) -> task {
    auto n = co_await self.receive<int>();
    auto promise = self.take_reply_promise();
    (void)co_await self.receive<std::string>();
    promise.deliver(n);
  });
  sys.spawn(
    [](co_actor& self, caf::actor keeper, caf::actor out) -> task {
      auto r = co_await self.request<int>(keeper, 30s, 1);
      self.send(out, r ? caf::error{} : r.error());
      self.send(out, co_await self.receive<int>());
    },
    keeper, out);
  sys.run();
  CHECK(sys.advance_time(29s) == 0);
  sys.run();
  CHECK(sys.received_of<caf::error>(out).empty());
  CHECK(sys.advance_time(1s) == 1);
  sys.run();
  CHECK(sys.received_of<caf::error>(out) == std::vector<caf::error>{caf::sec::request_timeout});
  caf::anon_send(keeper, std::string{"reply now"}); // the late reply is not taken as an int
  sys.run();
  CHECK(sys.received_of<int>(out).empty());
}

namespace {

/// Three senders send their number three times each to one collector: the collector's order
/// is the interleaving.
std::vector<int> interleaving(deterministic_system& sys) {
  auto collector = sys.sink();
  for (int id = 0; id < 3; ++id)
    sys.spawn(
      [](co_actor& self, int id, caf::actor to) -> task {
        for (int i = 0; i < 3; ++i) {
          self.send(to, id);
          (void)co_await self.receive<bool>(0s); // yields: other actors may run in between
        }
      },
      id, collector);
  sys.run();
  // Zero-length timeouts are timers too: fire them until every sender is done.
  while (sys.fire_next_timer())
    sys.run();
  return sys.received_of<int>(collector);
}

} // namespace

TEST_CASE("testing: one seed replays one interleaving, and seeds explore different ones") {
  std::set<std::vector<int>> seen;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    CAPTURE(seed);
    deterministic_system first{seed};
    deterministic_system again{seed};
    auto order = interleaving(first);
    CHECK(order.size() == 9);
    CHECK(interleaving(again) == order);
    seen.insert(order);
  }
  CHECK(seen.size() > 5);
  deterministic_system fifo;
  deterministic_system fifo_again;
  CHECK(interleaving(fifo) == interleaving(fifo_again));
}

namespace {

/// Destroys itself into a counter, to see which actors were torn down.
struct tally_on_destroy {
  explicit tally_on_destroy(std::shared_ptr<std::atomic<int>> c) : counter(std::move(c)) {}
  tally_on_destroy(tally_on_destroy&&) noexcept = default;
  ~tally_on_destroy() {
    if (counter)
      ++*counter;
  }
  std::shared_ptr<std::atomic<int>> counter;
};

} // namespace

TEST_CASE("testing: the system's end stops actors that wait forever or for a timer") {
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  {
    deterministic_system sys{7};
    auto forever = [](co_actor& self, tally_on_destroy&) -> task {
      (void)co_await self.receive<std::string>();
    };
    auto timed = [](co_actor& self, tally_on_destroy&) -> task {
      (void)co_await self.receive<std::string>(24h);
    };
    // Held by a handle, by its name, by its own pending timer.
    auto held = sys.spawn(forever, tally_on_destroy{destroyed});
    REQUIRE(sys.spawn_named("named", forever, tally_on_destroy{destroyed}));
    sys.spawn(timed, tally_on_destroy{destroyed});
    sys.run();
    CHECK(destroyed->load() == 0);
    CHECK(sys.has_pending_timers());
  }
  CHECK(destroyed->load() == 3);
}

TEST_CASE("testing: shutdown stops named and anonymous actors without waiting on a thread") {
  deterministic_system sys;
  caf::actor watcher = sys.sink();
  auto named = sys.spawn_named(
    "named", [](co_actor& self) -> task { (void)co_await self.receive<std::string>(); });
  REQUIRE(named);
  caf::anon_send(watcher, std::string{"start"});
  sys.run();
  sys.shutdown();
  CHECK(sys.names().empty());
  CHECK(sys.ready() == 0);
  CHECK(sys.engine().registry().running() == 0);
}

TEST_CASE("testing: a system built from a user's config keeps its settings, timeouts included") {
  troupe::config cfg;
  cfg.request_timeout = std::chrono::seconds{2};
  deterministic_system sys{cfg, 3};
  CHECK(&sys.cfg() == &cfg);
  CHECK(sys.seed() == 3u);
  auto out = sys.sink();
  auto silent = sys.spawn([](co_actor& self) -> task {
    (void)co_await self.receive<int>();
    auto never = self.take_reply_promise();
    (void)co_await self.receive<std::string>();
  });
  sys.spawn(
    [](co_actor& self, caf::actor silent, caf::actor out) -> task {
      auto r = co_await self.request<int>(silent, 1); // the default timeout: 2 s from cfg
      self.send(out, r ? caf::error{} : r.error());
    },
    silent, out);
  sys.run();
  CHECK(sys.advance_time(std::chrono::milliseconds{1999}) == 0);
  CHECK(sys.advance_time(std::chrono::milliseconds{1}) == 1);
  sys.run();
  CHECK(sys.received_of<caf::error>(out) == std::vector<caf::error>{caf::sec::request_timeout});
}
