// Coroutine actors: the deadlines of requests and timed receives, kept with at most one event
// on CAF's clock per actor (detail::deadline_timer). Virtual time on the deterministic kit says
// exactly when each wait ends and how many clock events there were; one real-time case checks
// that a pending request deadline does not keep a killed actor alive.

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <caf/all.hpp>

#include "race_outcomes.hpp"
#include "test_helpers.hpp"
#include "troupe/detail/deadline_timer.hpp"
#include "troupe/testing/deterministic_system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::test::error_of;
using troupe::test::explore_race;
using troupe::test::race_outcome;
using troupe::testing::deterministic_system;

namespace {

/// Answers each int request with the int plus one, at once.
task incrementer(co_actor& self) {
  for (;;) {
    auto n = co_await self.receive<int>();
    (void)self.reply(n + 1);
  }
}

/// Takes each int request and never answers it (the promises are kept, so no error goes back).
task black_hole(co_actor& self) {
  std::vector<caf::response_promise> kept;
  for (;;) {
    (void)co_await self.receive<int>();
    kept.push_back(self.take_reply_promise());
  }
}

/// Asks `dest` once with `timeout` and reports `(tag, error)` to `out`.
task ask_once(co_actor& self, caf::actor dest, caf::actor out, int tag, caf::timespan timeout) {
  auto r = co_await self.request<int>(dest, timeout, tag);
  self.send(out, tag, error_of(r));
}

using report = std::tuple<int, caf::error>;

} // namespace

TEST_CASE("co_actor deadline: requests with different timeouts each time out at their own") {
  deterministic_system sys;
  auto out = sys.sink();
  auto hole = sys.spawn(black_hole);
  // Started in one instant, in an order unlike that of their deadlines.
  for (int ms : {50, 10, 40, 20, 30})
    sys.spawn(ask_once, hole, out, ms, caf::timespan{std::chrono::milliseconds{ms}});
  sys.run();
  std::vector<report> expected;
  for (int ms = 10; ms <= 50; ms += 10) {
    CHECK(sys.advance_time(9ms) == 0);
    sys.run();
    CHECK(sys.received_of<report>(out) == expected); // nobody ends a millisecond early
    CHECK(sys.advance_time(1ms) == 1);
    sys.run();
    expected.emplace_back(ms, caf::sec::request_timeout);
    CHECK(sys.received_of<report>(out) == expected);
  }
}

TEST_CASE("co_actor deadline: a thousand requests answered in time leave one event on the clock") {
  deterministic_system sys;
  auto out = sys.sink();
  auto inc = sys.spawn(incrementer);
  sys.spawn(
    [](co_actor& self, caf::actor inc, caf::actor out) -> task {
      int good = 0;
      for (int i = 0; i < 1000; ++i)
        if (auto r = co_await self.request<int>(inc, 1h, i); r && *r == i + 1)
          ++good;
      self.send(out, good);
      (void)co_await self.receive<std::string>(); // stays alive, so its event stays relevant
    },
    inc, out);
  sys.run();
  CHECK(sys.received_of<int>(out) == std::vector<int>{1000});
  // CAF's own request timeouts would leave a thousand events, each holding the requester.
  CHECK(sys.advance_time(2h) == 1);
}

TEST_CASE("co_actor deadline: a later deadline reuses the armed event and ends on time") {
  deterministic_system sys;
  auto out = sys.sink();
  auto inc = sys.spawn(incrementer);
  auto hole = sys.spawn(black_hole);
  sys.spawn(
    [](co_actor& self, caf::actor inc, caf::actor hole, caf::actor out) -> task {
      auto first = co_await self.request<int>(inc, 10ms, 1); // answered: its event stays armed
      self.send(out, 1, error_of(first));
      auto second = co_await self.request<int>(hole, 30ms, 2); // needs no event of its own
      self.send(out, 2, error_of(second));
      auto third = co_await self.request<int>(hole, 5ms, 3); // earlier than the armed one
      self.send(out, 3, error_of(third));
    },
    inc, hole, out);
  sys.run();
  CHECK(sys.received_of<report>(out) == std::vector<report>{{1, caf::error{}}});
  // At 10 ms the first request's event fires: the second waits on, with an event for 30 ms.
  CHECK(sys.advance_time(10ms) == 1);
  sys.run();
  CHECK(sys.received_of<report>(out).size() == 1);
  CHECK(sys.advance_time(19ms) == 0);
  sys.run();
  CHECK(sys.received_of<report>(out).size() == 1);
  CHECK(sys.advance_time(1ms) == 1);
  sys.run();
  // The third request's 5 ms end before anything else is due.
  CHECK(sys.advance_time(4ms) == 0);
  sys.run();
  CHECK(sys.received_of<report>(out).size() == 2);
  CHECK(sys.advance_time(1ms) == 1);
  sys.run();
  CHECK(sys.received_of<report>(out) == std::vector<report>{{1, caf::error{}},
                                                            {2, caf::sec::request_timeout},
                                                            {3, caf::sec::request_timeout}});
}

TEST_CASE("co_actor deadline: a receive and a request share the actor's one event") {
  deterministic_system sys;
  auto out = sys.sink();
  auto hole = sys.spawn(black_hole);
  auto actor = sys.spawn(
    [](co_actor& self, caf::actor hole, caf::actor out) -> task {
      auto got = co_await self.receive<int>(20ms); // gets its int in time
      self.send(out, got.value_or(-1), caf::error{});
      auto r = co_await self.request<int>(hole, 40ms, 0); // ends 40 ms after the receive began
      self.send(out, 0, error_of(r));
    },
    hole, out);
  sys.run();
  caf::anon_send(actor, 7);
  sys.run();
  CHECK(sys.advance_time(20ms) == 1); // the receive's event: the request waits on
  sys.run();
  CHECK(sys.received_of<report>(out) == std::vector<report>{{7, caf::error{}}});
  CHECK(sys.advance_time(20ms) == 1);
  sys.run();
  CHECK(sys.received_of<report>(out) ==
        std::vector<report>{{7, caf::error{}}, {0, caf::sec::request_timeout}});
}

TEST_CASE("co_actor deadline: a timeout beyond the clock's range waits without a deadline") {
  deterministic_system sys;
  auto out = sys.sink();
  auto hole = sys.spawn(black_hole);
  auto inc = sys.spawn(incrementer);
  auto requester = sys.spawn(
    [](co_actor& self, caf::actor hole, caf::actor inc, caf::actor out) -> task {
      auto forever = caf::timespan::max(); // now + max would wrap around into the past
      auto got = co_await self.receive<int>(forever);
      self.send(out, got.value_or(-1), caf::error{});
      auto r = co_await self.request<int>(inc, forever, 1);
      self.send(out, 1, error_of(r));
      auto lost = co_await self.request<int>(hole, forever, 2);
      self.send(out, 2, error_of(lost));
    },
    hole, inc, out);
  sys.run();
  CHECK(!sys.has_pending_timers());
  caf::anon_send(requester, 7);
  sys.run();
  CHECK(!sys.has_pending_timers());
  CHECK(sys.advance_time(24h) == 0);
  sys.run();
  CHECK(sys.received_of<report>(out) == std::vector<report>{{7, caf::error{}}, {1, caf::error{}}});
}

TEST_CASE("co_actor deadline: an actor that nobody refers to still gets its request timeout") {
  deterministic_system sys;
  auto out = sys.sink();
  auto hole = sys.spawn(black_hole);
  // No handle is kept: only the pending request keeps the requester alive.
  (void)sys.spawn(ask_once, hole, out, 1, caf::timespan{20ms});
  sys.run();
  CHECK(sys.advance_time(20ms) == 1);
  sys.run();
  CHECK(sys.received_of<report>(out) == std::vector<report>{{1, caf::sec::request_timeout}});
}

namespace {

/// A request of 10 s whose reply and whose deadline become ready in the same instant: one of
/// them ends the request, once; a late reply is dropped and disturbs nothing that follows.
race_outcome reply_races_timeout(deterministic_system& sys) {
  auto out = sys.sink();
  // Holds the request until told to answer it.
  auto replier = sys.spawn([](co_actor& self) -> task {
    auto n = co_await self.receive<int>();
    auto promise = self.take_reply_promise();
    (void)co_await self.receive<bool>();
    promise.deliver(n + 1);
    for (;;) { // then answers at once
      auto m = co_await self.receive<int>();
      (void)self.reply(m + 1);
    }
  });
  auto requester = sys.spawn(
    [](co_actor& self, caf::actor replier, caf::actor out) -> task {
      auto first = co_await self.request<int>(replier, 10s, 1);
      self.send(out, std::string{"first"}, first ? *first : -1);
      auto next = co_await self.receive<std::string>(); // no late reply may end this
      self.send(out, std::string{"string"}, static_cast<int>(next.size()));
      auto second = co_await self.request<int>(replier, 10s, 5);
      self.send(out, std::string{"second"}, second ? *second : -1);
    },
    replier, out);
  sys.run();
  sys.advance_time(10s);         // the deadline goes to the timer relay, and in the same
  caf::anon_send(replier, true); // instant the replier is told to answer: two actors race
  sys.run();
  caf::anon_send(requester, std::string{"go"});
  sys.run();
  using line = std::tuple<std::string, int>;
  auto got = sys.received_of<line>(out);
  auto rest = std::vector<line>{{"string", 2}, {"second", 6}};
  auto expect = [&](int first) {
    auto all = std::vector<line>{{"first", first}};
    all.insert(all.end(), rest.begin(), rest.end());
    return all;
  };
  if (got == expect(2))
    return race_outcome::in_time;
  if (got == expect(-1))
    return race_outcome::too_late;
  return race_outcome::broken;
}

} // namespace

TEST_CASE("co_actor deadline: a reply racing its timeout yields one of them, once") {
  auto tally =
    explore_race(200, reply_races_timeout, "the requester's reports match neither outcome");
  CHECK_MESSAGE(tally.result.passed(), tally.result.report());
  // Both outcomes occur among the seeds: the race is really explored.
  CHECK(tally.in_time > 0);
  CHECK(tally.too_late > 0);
}

namespace {

/// Tells `to` "destroyed" when the actor that holds it is destroyed.
struct farewell {
  explicit farewell(caf::actor x) : to(std::move(x)) {}
  farewell(farewell&&) noexcept = default;
  farewell& operator=(farewell&&) noexcept = default;
  ~farewell() {
    if (to)
      caf::anon_send(to, std::string{"destroyed"});
  }
  caf::actor to;
};

/// A plain CAF actor that takes each int request and drops its promise: nothing refers to the
/// requester anymore, and no answer comes.
caf::behavior forgetter(caf::event_based_actor* self) {
  return {
    [self](int) { (void)self->make_response_promise(); },
  };
}

} // namespace

TEST_CASE("co_actor deadline: a pending request deadline does not keep a killed actor alive") {
  troupe::test::parallel_system sys;
  troupe::test::probe p{sys};
  auto hole = sys.engine().spawn(forgetter);
  auto requester = sys.spawn(
    [](co_actor& self, farewell&, caf::actor hole, caf::actor reporter) -> task {
      self.send(reporter, std::string{"asking"});
      (void)co_await self.request<int>(hole, 1h, 1);
    },
    farewell{p.handle()}, hole, p.handle());
  // The request goes out in the same activation that sent "asking", before the kill is read.
  REQUIRE(troupe::test::next<std::string>(p) == "asking");
  p->monitor(requester);
  caf::anon_send_exit(requester, caf::exit_reason::kill);
  CHECK(troupe::test::next_down(p, requester.address()) == caf::exit_reason::kill);
  requester = nullptr;
  // CAF's own request timeout would hold the actor for the hour.
  CHECK(troupe::test::next<std::string>(p) == "destroyed");
  caf::anon_send_exit(hole, caf::exit_reason::kill);
  sys.await_all_actors_done();
}

TEST_CASE("co_actor deadline: the timer arms an event only for a deadline before the armed one") {
  using troupe::detail::deadline_timer;
  deadline_timer timer;
  deadline_timer::time_point t0{};
  auto first = timer.start(t0 + 10ms);
  REQUIRE(first);
  CHECK(first->when == t0 + 10ms);
  timer.stop();
  CHECK(!timer.start(t0 + 30ms)); // the armed event comes first
  auto early = timer.fire(first->token, t0 + 10ms);
  CHECK(!early.expired);
  REQUIRE(early.rearm); // the wait ends later: one event for it
  CHECK(early.rearm->when == t0 + 30ms);
  auto sooner = timer.start(t0 + 15ms); // a new wait before the armed event
  REQUIRE(sooner);
  CHECK(!timer.fire(early.rearm->token, t0 + 30ms).expired); // superseded: stale
  auto due = timer.fire(sooner->token, t0 + 15ms);
  CHECK(due.expired);
  CHECK(!due.rearm);
  CHECK(!timer.waiting());
}
