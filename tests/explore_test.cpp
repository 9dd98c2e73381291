// troupe::testing::explore: one scenario under many seeds, the failing seed named and replayed.

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <caf/all.hpp>

#include <doctest/doctest.h>

#include "troupe/testing/explore.hpp"

using troupe::co_actor;
using troupe::task;
using troupe::testing::deterministic_system;
using troupe::testing::explore;
using troupe::testing::verdict;

namespace {

/// Holds an int: "get" requests read it, an int sets it, "increment" adds one.
task counter(co_actor& self) {
  int value = 0;
  for (;;) {
    auto x = co_await self.receive<std::string, int>();
    if (auto* v = std::get_if<int>(&x))
      value = *v;
    else if (std::get<std::string>(x) == "get")
      (void)self.reply(value);
    else
      ++value;
  }
}

/// Increments by reading and writing back: two of them can lose an update.
task racy_incrementer(co_actor& self, caf::actor target) {
  auto v = co_await self.request<int>(target, std::string{"get"});
  if (v)
    self.send(target, *v + 1);
}

/// Increments with one message: nothing is lost.
task atomic_incrementer(co_actor& self, caf::actor target) {
  self.send(target, std::string{"increment"});
  co_return;
}

/// Two incrementers of one kind on one counter; the verdict checks that both counted.
template <class Incrementer>
verdict two_increments(deterministic_system& sys, Incrementer incrementer) {
  auto c = sys.spawn(counter);
  sys.spawn(incrementer, c);
  sys.spawn(incrementer, c);
  sys.run();
  auto reader = sys.sink();
  sys.spawn(
    [](co_actor& self, caf::actor c, caf::actor out) -> task {
      auto v = co_await self.request<int>(c, std::string{"get"});
      self.send(out, v ? *v : -1);
    },
    c, reader);
  sys.run();
  auto got = sys.received_of<int>(reader);
  if (got.size() != 1 || got[0] != 2)
    return "the counter ended at " + (got.empty() ? std::string{"?"} : std::to_string(got[0])) +
           ", not 2";
  return {};
}

} // namespace

TEST_CASE("testing: explore finds the seed of a lost update and that seed replays it") {
  auto racy = [](deterministic_system& sys) { return two_increments(sys, racy_incrementer); };
  auto found = explore(100, racy);
  REQUIRE_FALSE(found.passed());
  REQUIRE(found.failing_seed.has_value());
  CHECK(found.runs == *found.failing_seed); // seeds 1, 2, ... ran in order up to the failure
  CHECK(found.failure == "the counter ended at 1, not 2");
  auto seed_text = std::to_string(*found.failing_seed);
  CHECK(found.report().find("seed " + seed_text + " failed") != std::string::npos);
  CHECK(found.report().find("TROUPE_SEED=" + seed_text) != std::string::npos);
  // The same seed fails again, every time; some other seed lets both updates through.
  for (int i = 0; i < 3; ++i) {
    deterministic_system replay{*found.failing_seed};
    CHECK(racy(replay) == found.failure);
  }
  bool some_seed_passes = false;
  for (uint64_t seed = 1; seed <= 100 && !some_seed_passes; ++seed) {
    deterministic_system sys{seed};
    some_seed_passes = racy(sys).empty();
  }
  CHECK(some_seed_passes);
}

TEST_CASE("testing: explore passes a scenario whose invariant holds under every seed") {
  auto safe =
    explore(100, [](deterministic_system& sys) { return two_increments(sys, atomic_incrementer); });
  CHECK_MESSAGE(safe.passed(), safe.report());
  CHECK(safe.runs == 100);
  CHECK(safe.report() == "100 seeds passed");
  auto as_bool = explore(
    20, [](deterministic_system& sys) { return two_increments(sys, atomic_incrementer).empty(); });
  CHECK(as_bool.passed());
  CHECK(as_bool.runs == 20);
}

TEST_CASE("testing: explore counts an exception as a failure of its seed") {
  auto thrower = explore(10, [](deterministic_system& sys) -> verdict {
    if (*sys.seed() == 4)
      throw std::runtime_error("seed four");
    return {};
  });
  CHECK(thrower.failing_seed == 4u);
  CHECK(thrower.failure == "exception: seed four");
}

TEST_CASE("testing: TROUPE_SEED replays one seed, and a malformed one is an error") {
  auto seeds_seen = std::make_shared<std::vector<uint64_t>>();
  auto record = [seeds_seen](deterministic_system& sys) -> verdict {
    seeds_seen->push_back(*sys.seed());
    return {};
  };
  REQUIRE(setenv("TROUPE_SEED", "42", 1) == 0);
  auto replayed = explore(100, record);
  CHECK(replayed.passed());
  CHECK(replayed.runs == 1);
  CHECK(*seeds_seen == std::vector<uint64_t>{42});
  REQUIRE(setenv("TROUPE_SEED", "forty-two", 1) == 0);
  auto refused = explore(100, record);
  CHECK_FALSE(refused.passed());
  CHECK(refused.runs == 0);
  CHECK(refused.failure.find("'forty-two' is not a seed") != std::string::npos);
  CHECK(seeds_seen->size() == 1); // nothing ran
  REQUIRE(unsetenv("TROUPE_SEED") == 0);
}
