// The name cache of a coroutine actor (on the deterministic kit): a send by name after the
// name was unregistered, rebound to another live actor, or evicted by other names.

#include <string>
#include <tuple>
#include <vector>

#include <caf/all.hpp>

#include "test_helpers.hpp"
#include "troupe/testing/deterministic_system.hpp"

using troupe::co_actor;
using troupe::error_code;
using troupe::make_error;
using troupe::task;
using troupe::testing::deterministic_system;

namespace {

/// Sends 1 by name to every name it is given and reports the name with the send's result.
task name_sender(co_actor& self, caf::actor out) {
  for (;;) {
    auto name = co_await self.receive<std::string>();
    self.send(out, name, self.send(name, 1));
  }
}

/// Takes ints forever.
task int_taker(co_actor& self) {
  for (;;)
    (void)co_await self.receive<int>();
}

using send_report = std::tuple<std::string, caf::error>;

/// Has `sender` send to each of `names` in turn and runs the system.
void send_to(deterministic_system& sys, const caf::actor& sender,
             const std::vector<std::string>& names) {
  for (auto& name : names)
    caf::anon_send(sender, name);
  sys.run();
}

} // namespace

TEST_CASE("name cache: a cached name that was unregistered is unknown, its actor alive or not") {
  deterministic_system sys;
  auto out = sys.sink();
  auto target = sys.spawn_named("target", int_taker);
  REQUIRE(target);
  auto sender = sys.spawn(name_sender, out);
  send_to(sys, sender, {"target"}); // now cached
  REQUIRE(sys.unregister_name("target"));
  send_to(sys, sender, {"target"});
  CHECK(sys.received_of<send_report>(out) ==
        std::vector<send_report>{{"target", caf::error{}},
                                 {"target", make_error(error_code::unknown_name)}});
  CHECK(sys.received_of<int>(*target) == std::vector<int>{1});
}

TEST_CASE("name cache: a cached name rebound to another live actor reaches the new actor") {
  deterministic_system sys;
  auto out = sys.sink();
  auto first = sys.spawn(int_taker);
  auto second = sys.spawn(int_taker);
  REQUIRE(!sys.register_name("service", first));
  auto sender = sys.spawn(name_sender, out);
  send_to(sys, sender, {"service"});
  REQUIRE(sys.unregister_name("service"));
  REQUIRE(!sys.register_name("service", second));
  send_to(sys, sender, {"service", "service"});
  CHECK(sys.received_of<int>(first) == std::vector<int>{1});
  CHECK(sys.received_of<int>(second) == std::vector<int>{1, 1});
  CHECK(sys.received_of<send_report>(out).size() == 3);
}

TEST_CASE("name cache: more names than it holds are evicted and looked up again correctly") {
  constexpr int count = 20; // the cache holds 8
  deterministic_system sys;
  auto out = sys.sink();
  std::vector<caf::actor> targets;
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    names.push_back(std::string{"n"}.append(std::to_string(i)));
    auto t = sys.spawn_named(names.back(), int_taker);
    REQUIRE(t);
    targets.push_back(*t);
  }
  auto sender = sys.spawn(name_sender, out);
  send_to(sys, sender, names);
  // Rebind one evicted and one recently used name to the other's actor.
  REQUIRE(sys.unregister_name("n0"));
  REQUIRE(sys.unregister_name("n19"));
  REQUIRE(!sys.register_name("n0", targets[19]));
  REQUIRE(!sys.register_name("n19", targets[0]));
  send_to(sys, sender, names);
  send_to(sys, sender, {"n19", "n0", "n19"});
  for (int i = 1; i < count - 1; ++i) {
    CAPTURE(i);
    CHECK(sys.received_of<int>(targets[i]).size() == 2);
  }
  CHECK(sys.received_of<int>(targets[0]).size() == 1 + 1 + 2); // n0, then n19 three times
  CHECK(sys.received_of<int>(targets[19]).size() == 1 + 1 + 1);
  for (auto& [name, err] : sys.received_of<send_report>(out))
    CHECK(err == caf::error{});
}
