// Coroutine actors on the deterministic kit: what waits in the stash while a request is
// pending or another receive runs, stale timeouts, unexpected replies and system messages.
// Each case controls exactly what is delivered when, so no case waits in real time.

#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include <caf/all.hpp>

#include "race_outcomes.hpp"
#include "test_helpers.hpp"
#include "troupe/testing/deterministic_system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::error_code;
using troupe::make_error;
using troupe::task;
using troupe::test::explore_race;
using troupe::test::race_outcome;
using troupe::testing::deterministic_system;

namespace {

/// Holds each int request without answering until a string arrives, then answers them all
/// with the int plus the string's length.
task holder(co_actor& self) {
  std::vector<std::pair<int, caf::response_promise>> held;
  for (;;) {
    auto x = co_await self.receive<int, std::string>();
    if (auto* n = std::get_if<int>(&x)) {
      held.emplace_back(*n, self.take_reply_promise());
      continue;
    }
    for (auto& [n, promise] : held)
      promise.deliver(n + static_cast<int>(std::get<std::string>(x).size()));
    held.clear();
  }
}

} // namespace

TEST_CASE("co_actor stash: a request that waits in the stash is answered after a later receive") {
  deterministic_system sys;
  auto out = sys.sink();
  auto server = sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      // The request (an int) arrives first but waits: the server wants a string first.
      auto s = co_await self.receive<std::string>();
      self.send(out, s);
      auto n = co_await self.receive<int>();
      self.send(out, self.reply(n * 10)); // the stashed request is still answerable
    },
    out);
  sys.spawn(
    [](co_actor& self, caf::actor server, caf::actor out) -> task {
      auto r = co_await self.request<int>(server, 1h, 4);
      self.send(out, troupe::test::value_or(r, -1));
    },
    server, out);
  sys.run();
  CHECK(sys.received_of<int>(out).empty()); // the request waits in the server's stash
  caf::anon_send(server, std::string{"first"});
  sys.run();
  CHECK(sys.received_of<std::string>(out) == std::vector<std::string>{"first"});
  CHECK(sys.received_of<caf::error>(out) == std::vector<caf::error>{caf::error{}});
  CHECK(sys.received_of<int>(out) == std::vector<int>{40});
}

TEST_CASE("co_actor stash: a message of the reply's type is no reply and waits for a receive") {
  deterministic_system sys;
  auto out = sys.sink();
  auto server = sys.spawn(holder);
  auto client = sys.spawn(
    [](co_actor& self, caf::actor server, caf::actor out) -> task {
      auto r = co_await self.request<int>(server, 1h, 1);
      self.send(out, std::string{"reply"}, troupe::test::value_or(r, -1));
      auto plain = co_await self.receive<int>();
      self.send(out, std::string{"receive"}, plain);
    },
    server, out);
  sys.run();
  caf::anon_send(client, 99); // an int, like the awaited reply, while the request is pending
  sys.run();
  using report = std::tuple<std::string, int>;
  CHECK(sys.received_of<report>(out).empty());
  caf::anon_send(server, std::string{"go"}); // the reply is 1 + 2
  sys.run();
  CHECK(sys.received_of<report>(out) == std::vector<report>{{"reply", 3}, {"receive", 99}});
}

TEST_CASE("co_actor stash: a late deadline does not end an untimed receive or receive<message>") {
  deterministic_system sys;
  auto out = sys.sink();
  auto reader = sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      auto first = co_await self.receive<int>(10s); // gets its int in time
      self.send(out, std::string{"timed"}, first.value_or(-1));
      auto second = co_await self.receive<int>(); // untimed: the stale deadline comes now
      self.send(out, std::string{"untimed"}, second);
      auto third = co_await self.receive<int>(20s); // gets its int in time
      self.send(out, std::string{"timed"}, third.value_or(-1));
      auto any = co_await self.receive<caf::message>(); // must not see the deadline message
      self.send(out, std::string{"any"}, any.match_elements<int>() ? any.get_as<int>(0) : -1);
    },
    out);
  sys.run();
  caf::anon_send(reader, 1);
  sys.run();
  CHECK(sys.advance_time(10s) == 1); // the stale deadline of the first receive
  sys.run();
  caf::anon_send(reader, 2);
  sys.run();
  caf::anon_send(reader, 3);
  sys.run();
  CHECK(sys.advance_time(20s) == 1); // the stale deadline of the third receive
  sys.run();
  caf::anon_send(reader, 4);
  sys.run();
  using report = std::tuple<std::string, int>;
  CHECK(sys.received_of<report>(out) ==
        std::vector<report>{{"timed", 1}, {"untimed", 2}, {"timed", 3}, {"any", 4}});
}

namespace {

/// A receive of 10 s whose int and whose deadline become ready in the same instant: whichever
/// the scheduler runs first wins, and the other must neither be lost nor wake a later receive.
race_outcome timeout_races_message(deterministic_system& sys) {
  auto out = sys.sink();
  auto reader = sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      auto timed = co_await self.receive<int>(10s);
      self.send(out, std::string{"timed"}, timed.value_or(-1));
      if (!timed) // the int came too late for the timed receive: it must be in the stash
        self.send(out, std::string{"stash"}, co_await self.receive<int>());
      auto next = co_await self.receive<std::string>(); // a stale deadline must not end this
      self.send(out, std::string{"string"}, static_cast<int>(next.size()));
    },
    out);
  auto sender = sys.spawn(
    [](co_actor& self, caf::actor reader) -> task {
      (void)co_await self.receive<bool>();
      self.send(reader, 7);
    },
    reader);
  sys.run();
  sys.advance_time(10s);        // the deadline goes to the timer relay, and in the same
  caf::anon_send(sender, true); // instant the sender is told to send the int: two actors race
  sys.run();
  caf::anon_send(reader, std::string{"end"});
  sys.run();
  using report = std::tuple<std::string, int>;
  auto got = sys.received_of<report>(out);
  if (got == std::vector<report>{{"timed", 7}, {"string", 3}})
    return race_outcome::in_time;
  if (got == std::vector<report>{{"timed", -1}, {"stash", 7}, {"string", 3}})
    return race_outcome::too_late;
  return race_outcome::broken;
}

} // namespace

TEST_CASE("co_actor stash: a timeout and a message arriving together yield one of them, once") {
  auto tally =
    explore_race(200, timeout_races_message, "the reader's reports match neither outcome");
  CHECK_MESSAGE(tally.result.passed(), tally.result.report());
  // Both outcomes occur among the seeds: the race is really explored.
  CHECK(tally.in_time > 0);
  CHECK(tally.too_late > 0);
}

TEST_CASE("co_actor stash: down, exit and error messages wait in the stash for their receive") {
  deterministic_system sys;
  auto out = sys.sink();
  auto watched = sys.spawn([](co_actor& self) -> task { (void)co_await self.receive<int>(); });
  auto linked = sys.spawn([](co_actor& self) -> task { (void)co_await self.receive<int>(); });
  auto watcher = sys.spawn(
    [](co_actor& self, caf::actor watched, caf::actor linked, caf::actor out) -> task {
      self.monitor(watched);
      self.link_to(linked);
      self.trap_exit(true);
      auto go = co_await self.receive<std::string>(); // meanwhile all three arrive
      self.send(out, go);
      // Taken in the reverse of their arrival: each waited in the stash.
      auto err = co_await self.receive<caf::error>();
      self.send(out, std::string{"error"}, err);
      auto exit = co_await self.receive<caf::exit_msg>();
      self.send(out, std::string{"exit"}, exit.reason);
      auto down = co_await self.receive<caf::down_msg>();
      self.send(out, std::string{"down"}, down.reason);
    },
    watched, linked, out);
  sys.run();
  caf::anon_send(watched, 1); // ends normally
  sys.run();
  // Not `kill`: CAF ends a linked actor on a `kill` even when it traps exits.
  caf::anon_send_exit(linked, caf::exit_reason::user_shutdown);
  sys.run();
  caf::anon_send(watcher, caf::make_error(caf::sec::runtime_error, "async"));
  sys.run();
  CHECK(sys.received_of<std::tuple<std::string, caf::error>>(out).empty());
  caf::anon_send(watcher, std::string{"go"});
  sys.run();
  using report = std::tuple<std::string, caf::error>;
  auto got = sys.received_of<report>(out);
  REQUIRE(got.size() == 3);
  CHECK(got[0] == report{"error", caf::sec::runtime_error});
  CHECK(troupe::test::context_of(std::get<1>(got[0])) == "async");
  CHECK(got[1] == report{"exit", caf::exit_reason::user_shutdown});
  CHECK(got[2] == report{"down", caf::exit_reason::normal});
}

TEST_CASE("co_actor stash: after demonitor no down message arrives from that actor") {
  deterministic_system sys;
  auto out = sys.sink();
  auto kept = sys.spawn([](co_actor& self) -> task { (void)co_await self.receive<int>(); });
  auto dropped = sys.spawn([](co_actor& self) -> task { (void)co_await self.receive<int>(); });
  sys.spawn(
    [](co_actor& self, caf::actor kept, caf::actor dropped, caf::actor out) -> task {
      self.monitor(kept);
      self.monitor(dropped);
      self.demonitor(dropped);
      for (;;) {
        auto down = co_await self.receive<caf::down_msg>(1h);
        if (!down)
          break;
        self.send(out,
                  down->source == kept.address() ? std::string{"kept"} : std::string{"dropped"});
      }
      self.send(out, std::string{"no more"});
    },
    kept, dropped, out);
  sys.run();
  caf::anon_send(dropped, 1); // exits first
  sys.run();
  caf::anon_send(kept, 1);
  sys.run();
  // One clock event: the first receive's, armed for the same instant as the second's deadline
  // (virtual time stood still), serves the second receive too.
  CHECK(sys.advance_time(1h) == 1);
  sys.run();
  CHECK(sys.received_of<std::string>(out) == std::vector<std::string>{"kept", "no more"});
}
