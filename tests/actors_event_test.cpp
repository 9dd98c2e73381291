// The event: waits answered by set, at once while set, again waiting after clear; wait
// limits; unknown requests.

#include <caf/all.hpp>

#include "actors_test_helpers.hpp"
#include "troupe/actors/event.hpp"
#include "troupe/system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::actors::actors_error;
using troupe::actors::event;
using troupe::test::call;
using troupe::test::call_for;
using troupe::test::is_error;
using troupe::test::next;
using troupe::test::probe;

namespace {

using ev = event;

} // namespace

TEST_CASE("event: set answers every waiter, while set, waits return at once") {
  troupe::system sys;
  probe p{sys};
  auto e = event::spawn(sys);
  constexpr int waiters = 5;
  for (int i = 0; i < waiters; ++i)
    sys.spawn(
      [](co_actor& self, event e, int me, caf::actor reporter) -> task {
        self.send(reporter, me, static_cast<bool>(co_await e.wait(self, 5s)));
      },
      e, i, p.handle());
  CHECK(call_for<bool>(p, e.handle(), ev::is_set_atom::value) == false);
  auto waiting = p->request(e.handle(), caf::infinite, ev::wait_atom::value);
  REQUIRE(call(p, e.handle(), ev::set_atom::value) == caf::none);
  bool probe_woken = false;
  waiting.receive([&] { probe_woken = true; }, [](caf::error&) {});
  CHECK(probe_woken);
  int woken = 0;
  for (int i = 0; i < waiters; ++i)
    woken += std::get<1>(next<std::tuple<int, bool>>(p)) ? 1 : 0;
  CHECK(woken == waiters);
  CHECK(call_for<bool>(p, e.handle(), ev::is_set_atom::value) == true);
  CHECK(call(p, e.handle(), ev::wait_atom::value) == caf::none); // set: at once
}

TEST_CASE("event: after clear, waits wait again until the next set") {
  troupe::system sys;
  probe p{sys};
  auto e = event::spawn(sys);
  REQUIRE(call(p, e.handle(), ev::set_atom::value) == caf::none);
  REQUIRE(call(p, e.handle(), ev::clear_atom::value) == caf::none);
  CHECK(call_for<bool>(p, e.handle(), ev::is_set_atom::value) == false);
  auto waiting = p->request(e.handle(), caf::infinite, ev::wait_atom::value);
  // The wait is queued behind nothing: only the set below can answer it.
  CHECK(call_for<bool>(p, e.handle(), ev::is_set_atom::value) == false);
  REQUIRE(call(p, e.handle(), ev::set_atom::value) == caf::none);
  bool woken = false;
  waiting.receive([&] { woken = true; }, [](caf::error&) {});
  CHECK(woken);
}

TEST_CASE("event: a wait with a limit gives up with timeout, a later set still works") {
  troupe::system sys;
  probe p{sys};
  auto e = event::spawn(sys);
  CHECK(is_error(call(p, e.handle(), ev::wait_within_atom::value, caf::timespan{5ms}),
                 actors_error::timeout));
  REQUIRE(call(p, e.handle(), ev::set_atom::value) == caf::none);
  CHECK(call(p, e.handle(), ev::wait_within_atom::value, caf::timespan{5ms}) == caf::none);
}

TEST_CASE("event: a request it does not know is answered with an error") {
  troupe::system sys;
  probe p{sys};
  auto e = event::spawn(sys);
  CHECK(call(p, e.handle(), std::string{"bogus"}) == caf::sec::unexpected_message);
  CHECK(call(p, e.handle(), ev::wait_within_atom::value) == caf::sec::unexpected_message);
  CHECK(call_for<bool>(p, e.handle(), ev::is_set_atom::value) == false);
}
