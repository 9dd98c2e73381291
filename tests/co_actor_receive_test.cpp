// Coroutine actors' receive on the deterministic kit: arrival order, selective receive,
// variants, tuples, any message, and timeouts in virtual time.

#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include <caf/all.hpp>

#include "test_helpers.hpp"
#include "troupe/testing/deterministic_system.hpp"
#include "troupe/testing/explore.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::testing::deterministic_system;
using troupe::testing::verdict;

namespace {

/// Waits for `true`, so that everything the test sent before it is already in the stash.
auto wait_for_go(co_actor& self) {
  return self.receive<bool>();
}

/// Sends `count` numbers `first`, `first + 1`, ... to `to`, yielding to other actors after each.
task counting_sender(co_actor& self, int first, int count, caf::actor to) {
  for (int i = 0; i < count; ++i) {
    self.send(to, first + i);
    self.send(self.handle(), true);
    (void)co_await self.receive<bool>();
  }
}

/// Three senders of 100 numbers each to one reader that takes ints one by one: whatever the
/// interleaving, each sender's numbers arrive in the order it sent them, none lost or doubled.
verdict per_sender_order(deterministic_system& sys) {
  constexpr int senders = 3;
  constexpr int count = 100;
  auto out = sys.sink();
  auto reader = sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      for (int i = 0; i < senders * count; ++i)
        self.send(out, co_await self.receive<int>());
    },
    out);
  for (int s = 0; s < senders; ++s)
    sys.spawn(counting_sender, s * 1000, count, reader);
  sys.run();
  auto got = sys.received_of<int>(out);
  if (got.size() != senders * count)
    return "the reader got " + std::to_string(got.size()) + " numbers";
  std::vector<int> next(senders, 0);
  for (int x : got) {
    auto s = x / 1000;
    if (x % 1000 != next[s]++)
      return "sender " + std::to_string(s) + "'s " + std::to_string(x % 1000) +
             " came out of order";
  }
  return {};
}

} // namespace

TEST_CASE("co_actor receive: each sender's messages arrive in its order under 50 interleavings") {
  auto result = troupe::testing::explore(50, per_sender_order);
  CHECK_MESSAGE(result.passed(), result.report());
}

TEST_CASE("co_actor receive: messages of one type are taken in order, stashed or arriving") {
  constexpr int count = 1000;
  deterministic_system sys;
  auto out = sys.sink();
  auto reader = sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      co_await wait_for_go(self);
      for (int i = 0; i < count; ++i)
        self.send(out, co_await self.receive<int>());
    },
    out);
  // The first half waits in the stash, the second half arrives while the actor receives.
  for (int i = 0; i < count / 2; ++i)
    caf::anon_send(reader, i);
  caf::anon_send(reader, true);
  sys.run();
  for (int i = count / 2; i < count; ++i)
    caf::anon_send(reader, i);
  sys.run();
  std::vector<int> expected(count);
  for (int i = 0; i < count; ++i)
    expected[i] = i;
  CHECK(sys.received_of<int>(out) == expected);
}

TEST_CASE("co_actor receive: a selective receive takes all ints first and then all strings") {
  deterministic_system sys;
  auto out = sys.sink();
  auto reader = sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      co_await wait_for_go(self);
      for (int i = 0; i < 4; ++i)
        self.send(out, std::to_string(co_await self.receive<int>()));
      for (int i = 0; i < 4; ++i)
        self.send(out, co_await self.receive<std::string>());
    },
    out);
  caf::anon_send(reader, std::string{"a"});
  caf::anon_send(reader, 1);
  caf::anon_send(reader, std::string{"b"});
  caf::anon_send(reader, 2);
  caf::anon_send(reader, std::string{"c"});
  caf::anon_send(reader, 3);
  caf::anon_send(reader, true);
  sys.run();
  caf::anon_send(reader, std::string{"d"});
  caf::anon_send(reader, 4);
  sys.run();
  CHECK(sys.received_of<std::string>(out) ==
        std::vector<std::string>{"1", "2", "3", "4", "a", "b", "c", "d"});
}

TEST_CASE("co_actor receive: a receive of several types returns a variant in arrival order") {
  deterministic_system sys;
  auto out = sys.sink();
  auto reader = sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      co_await wait_for_go(self);
      for (int i = 0; i < 5; ++i) {
        auto x = co_await self.receive<int, std::string>();
        static_assert(std::is_same_v<decltype(x), std::variant<int, std::string>>);
        if (auto* n = std::get_if<int>(&x))
          self.send(out, "int " + std::to_string(*n));
        else
          self.send(out, "string " + std::get<std::string>(x));
      }
      auto d = co_await self.receive<double>();
      self.send(out, "double " + std::to_string(static_cast<int>(d * 10)));
    },
    out);
  caf::anon_send(reader, 1);
  caf::anon_send(reader, std::string{"a"});
  caf::anon_send(reader, 2.5);
  caf::anon_send(reader, std::string{"b"});
  caf::anon_send(reader, 3);
  caf::anon_send(reader, true);
  sys.run();
  caf::anon_send(reader, std::string{"c"});
  sys.run();
  CHECK(sys.received_of<std::string>(out) == std::vector<std::string>{"int 1", "string a",
                                                                      "string b", "int 3",
                                                                      "string c", "double 25"});
}

TEST_CASE("co_actor receive: a receive of std::tuple<int, int> matches only a two-int message") {
  deterministic_system sys;
  auto out = sys.sink();
  auto reader = sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      co_await wait_for_go(self);
      auto [a, b] = co_await self.receive<std::tuple<int, int>>();
      self.send(out, "pair " + std::to_string(a) + " " + std::to_string(b));
      auto n = co_await self.receive<int>();
      self.send(out, "int " + std::to_string(n));
      auto [x, y, z] = co_await self.receive<std::tuple<int, int, int>>();
      self.send(out, "triple " + std::to_string(x + y + z));
    },
    out);
  caf::anon_send(reader, 7);
  caf::anon_send(reader, 1, 2, 3);
  caf::anon_send(reader, 1, 2);
  caf::anon_send(reader, true);
  sys.run();
  CHECK(sys.received_of<std::string>(out) ==
        std::vector<std::string>{"pair 1 2", "int 7", "triple 6"});
}

TEST_CASE("co_actor receive: a receive of caf::message takes any message in arrival order") {
  deterministic_system sys;
  auto out = sys.sink();
  auto reader = sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      co_await wait_for_go(self);
      for (int i = 0; i < 5; ++i)
        self.send(out, caf::to_string(co_await self.receive<caf::message>()));
    },
    out);
  caf::anon_send(reader, 1);
  caf::anon_send(reader, std::string{"x"});
  caf::anon_send(reader, 1, 2);
  caf::anon_send(reader, 2.5);
  caf::anon_send(reader, true);
  sys.run();
  caf::anon_send(reader, std::string{"late"});
  sys.run();
  CHECK(sys.received_of<std::string>(out) ==
        std::vector<std::string>{
          caf::to_string(caf::make_message(1)),
          caf::to_string(caf::make_message(std::string{"x"})),
          caf::to_string(caf::make_message(1, 2)),
          caf::to_string(caf::make_message(2.5)),
          caf::to_string(caf::make_message(std::string{"late"})),
        });
}

TEST_CASE("co_actor receive: a timed receive returns the value in time and nullopt after it") {
  deterministic_system sys;
  auto out = sys.sink();
  auto reader = sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      auto in_time = co_await self.receive<int>(5s);
      self.send(out, in_time.value_or(-1));
      auto too_late = co_await self.receive<int>(20ms);
      self.send(out, too_late.value_or(-1));
      auto after_timeout = co_await self.receive<int>(5s);
      self.send(out, after_timeout.value_or(-1));
    },
    out);
  caf::anon_send(reader, 1);
  sys.run();
  CHECK(sys.received_of<int>(out) == std::vector<int>{1});
  // The stale 5 s deadline of the first receive and the 20 ms one of the second are pending.
  CHECK(sys.advance_time(19ms) == 0);
  sys.run();
  CHECK(sys.received_of<int>(out) == std::vector<int>{1});
  CHECK(sys.advance_time(1ms) == 1);
  sys.run();
  CHECK(sys.received_of<int>(out) == std::vector<int>{1, -1});
  caf::anon_send(reader, 3);
  sys.run();
  CHECK(sys.received_of<int>(out) == std::vector<int>{1, -1, 3});
}

namespace {

/// Sends 2 to `target` once its own receive of `delay` has timed out: a timer made of a
/// receive, so its deadline is ordered with the others on CAF's clock.
task ticker(co_actor& self, caf::actor target, std::chrono::milliseconds delay) {
  (void)co_await self.receive<bool>(delay);
  self.send(target, 2);
}

} // namespace

TEST_CASE("co_actor receive: the deadline of a receive that got its value does not end the next") {
  deterministic_system sys;
  auto out = sys.sink();
  auto reader = sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      // The first receive arms a deadline; the 1 then arrives, so the deadline turns stale
      // but stays pending.
      auto first = co_await self.receive<int>(300ms);
      self.send(out, first.value_or(-1));
      // The ticker's deadline comes due in the same instant as the stale one.
      self.spawn(ticker, self.handle(), 300ms);
      auto second = co_await self.receive<int>(1h);
      self.send(out, second.value_or(-1));
    },
    out);
  sys.run();
  caf::anon_send(reader, 1);
  sys.run();
  CHECK(sys.advance_time(300ms) == 2); // the stale deadline and the ticker's
  sys.run();
  CHECK(sys.received_of<int>(out) == std::vector<int>{1, 2});
}

TEST_CASE("co_actor receive: an actor that nobody refers to still gets its receive timeout") {
  deterministic_system sys;
  auto out = sys.sink();
  // No handle is kept: only the pending receive keeps the actor alive (as CAF's `after` does).
  (void)sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      auto nothing = co_await self.receive<int>(20ms);
      self.send(out, nothing ? std::string{"value"} : std::string{"timed out"});
    },
    out);
  sys.run();
  CHECK(sys.advance_time(20ms) == 1);
  sys.run();
  CHECK(sys.received_of<std::string>(out) == std::vector<std::string>{"timed out"});
}
