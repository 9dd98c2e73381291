// The semaphore: arrival order, mutual exclusion under load, permits of a terminated holder,
// wait limits and every refused request.

#include <algorithm>
#include <vector>

#include <caf/all.hpp>

#include "actors_test_helpers.hpp"
#include "troupe/actors/semaphore.hpp"
#include "troupe/system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::actors::actors_error;
using troupe::actors::semaphore;
using troupe::actors::semaphore_stats;
using troupe::test::call;
using troupe::test::call_for;
using troupe::test::is_error;
using troupe::test::next;
using troupe::test::probe;

namespace {

using sem = semaphore;

semaphore make_semaphore(troupe::system& sys, int32_t permits) {
  auto result = semaphore::spawn(sys, permits);
  REQUIRE(result);
  return *result;
}

semaphore_stats stats_of(probe& p, const semaphore& s) {
  auto result = call_for<semaphore_stats>(p, s.handle(), sem::stats_atom::value);
  REQUIRE(result);
  return *result;
}

/// Whether the pending request `h` was answered without error.
template <class Handle> bool granted(Handle& h) {
  bool result = false;
  h.receive([&] { result = true; }, [](caf::error&) {});
  return result;
}

} // namespace

TEST_CASE("semaphore: fewer than one permit is refused") {
  troupe::system sys;
  for (int32_t permits : {0, -1}) {
    auto result = semaphore::spawn(sys, permits);
    REQUIRE(!result);
    CHECK(is_error(result.error(), actors_error::invalid_argument));
  }
}

TEST_CASE("semaphore: acquires are granted in arrival order, a large one is not overtaken") {
  troupe::system sys;
  probe p{sys};
  auto s = make_semaphore(sys, 2);
  REQUIRE(call(p, s.handle(), sem::acquire_atom::value, int32_t{2}) == caf::none);
  auto big = p->request(s.handle(), caf::infinite, sem::acquire_atom::value, int32_t{2});
  auto small = p->request(s.handle(), caf::infinite, sem::acquire_atom::value, int32_t{1});
  REQUIRE(call(p, s.handle(), sem::release_atom::value, int32_t{1}) == caf::none);
  // One permit is free, but the acquire of two came first: the acquire of one waits too.
  auto st = stats_of(p, s);
  CHECK(st.available == 1);
  CHECK(st.waiting == 2);
  REQUIRE(call(p, s.handle(), sem::release_atom::value, int32_t{1}) == caf::none);
  CHECK(granted(big));
  st = stats_of(p, s);
  CHECK(st.available == 0);
  CHECK(st.waiting == 1);
  REQUIRE(call(p, s.handle(), sem::release_atom::value, int32_t{1}) == caf::none);
  CHECK(granted(small));
  CHECK(stats_of(p, s).granted == 3);
}

TEST_CASE("semaphore: try_acquire takes free permits only when nobody waits") {
  troupe::system sys;
  probe p{sys};
  auto s = make_semaphore(sys, 2);
  CHECK(call_for<bool>(p, s.handle(), sem::try_acquire_atom::value, int32_t{2}) == true);
  CHECK(call_for<bool>(p, s.handle(), sem::try_acquire_atom::value, int32_t{1}) == false);
  REQUIRE(call(p, s.handle(), sem::release_atom::value, int32_t{2}) == caf::none);
  CHECK(stats_of(p, s).available == 2);
}

TEST_CASE("semaphore: never more holders than permits, across many actors") {
  constexpr int workers = 30;
  constexpr int rounds = 30;
  constexpr int32_t permits = 3;
  troupe::test::parallel_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  auto s = make_semaphore(sys, permits);
  for (int w = 0; w < workers; ++w)
    sys.spawn(
      [](co_actor& self, semaphore s, caf::actor checker) -> task {
        for (int r = 0; r < rounds; ++r) {
          if (!co_await s.acquire(self))
            co_return;
          // Sent before the release: the checker sees this "leave" before the next "enter".
          self.send(checker, true);
          (void)co_await s.stats(self); // stays inside a while, so that holders overlap
          self.send(checker, false);
          (void)co_await s.release(self);
        }
        const int done = rounds;
        self.send(checker, done); // after its last release was confirmed
      },
      s, p.handle());
  int inside = 0;
  int most_inside = 0;
  int enters = 0;
  for (int i = 0; i < 2 * workers * rounds; ++i) {
    if (next<bool>(p)) {
      ++enters;
      most_inside = std::max(most_inside, ++inside);
    } else {
      --inside;
    }
  }
  for (int w = 0; w < workers; ++w)
    CHECK(next<int>(p) == rounds);
  CHECK(enters == workers * rounds);
  CHECK(inside == 0);
  CHECK(most_inside <= permits);
  auto st = stats_of(p, s);
  CHECK(st.granted == static_cast<uint64_t>(workers * rounds));
  CHECK(st.available == permits);
}

TEST_CASE("semaphore: the permits of a holder that terminates are returned") {
  troupe::system sys;
  probe p{sys};
  auto s = make_semaphore(sys, 2);
  auto holder = sys.spawn(
    [](co_actor& self, semaphore s, caf::actor reporter) -> task {
      auto got = co_await s.acquire(self, 2, 5s);
      self.send(reporter, static_cast<bool>(got));
      (void)co_await self.receive<int>(); // holds the permits until killed
    },
    s, p.handle());
  REQUIRE(next<bool>(p));
  auto waiting = p->request(s.handle(), caf::infinite, sem::acquire_atom::value, int32_t{1});
  caf::anon_send_exit(holder, caf::exit_reason::kill);
  CHECK(granted(waiting));
  auto st = stats_of(p, s);
  CHECK(st.reclaimed == 2);
  CHECK(st.available == 1);
}

TEST_CASE("semaphore: a waiter that terminates leaves the queue") {
  troupe::system sys;
  probe p{sys};
  auto s = make_semaphore(sys, 2);
  REQUIRE(call(p, s.handle(), sem::acquire_atom::value, int32_t{2}) == caf::none);
  // A waiter for both permits heads the queue; the probe's acquire of one waits behind it.
  // A plain CAF actor: its acquire is in the semaphore's mailbox before it reports.
  auto waiter = sys.engine().spawn(
    [](caf::event_based_actor* self, caf::actor s, caf::actor reporter) -> caf::behavior {
      self->request(s, caf::infinite, sem::acquire_atom::value, int32_t{2}).then([] {});
      self->send(reporter, true);
      return {[](int) {}};
    },
    s.handle(), p.handle());
  REQUIRE(next<bool>(p));
  auto behind = p->request(s.handle(), caf::infinite, sem::acquire_atom::value, int32_t{1});
  caf::anon_send_exit(waiter, caf::exit_reason::kill);
  REQUIRE(call(p, s.handle(), sem::release_atom::value, int32_t{1}) == caf::none);
  // Only the dead waiter's leaving lets the acquire of one through.
  CHECK(granted(behind));
  CHECK(stats_of(p, s).granted == 2);
}

TEST_CASE("semaphore: an acquire with a wait limit gives up, and those behind it move up") {
  troupe::system sys;
  probe p{sys};
  auto s = make_semaphore(sys, 2);
  REQUIRE(call(p, s.handle(), sem::acquire_atom::value, int32_t{1}) == caf::none);
  auto big = p->request(s.handle(), caf::infinite, sem::acquire_within_atom::value,
                        caf::timespan{5ms}, int32_t{2});
  auto small = p->request(s.handle(), caf::infinite, sem::acquire_atom::value, int32_t{1});
  caf::error big_result;
  big.receive([] {}, [&](caf::error& err) { big_result = err; });
  CHECK(is_error(big_result, actors_error::timeout));
  CHECK(granted(small));
  CHECK(stats_of(p, s).available == 0);
}

TEST_CASE("semaphore: bad counts and releases by non-holders are refused, changing nothing") {
  troupe::system sys;
  probe p{sys};
  auto s = make_semaphore(sys, 2);
  auto h = s.handle();
  CHECK(is_error(call(p, h, sem::acquire_atom::value, int32_t{0}), actors_error::invalid_argument));
  CHECK(is_error(call(p, h, sem::acquire_atom::value, int32_t{3}), actors_error::invalid_argument));
  CHECK(is_error(call_for<bool>(p, h, sem::try_acquire_atom::value, int32_t{-1}).error(),
                 actors_error::invalid_argument));
  CHECK(is_error(call(p, h, sem::release_atom::value, int32_t{1}), actors_error::not_holder));
  REQUIRE(call(p, h, sem::acquire_atom::value, int32_t{1}) == caf::none);
  CHECK(is_error(call(p, h, sem::release_atom::value, int32_t{2}), actors_error::not_holder));
  CHECK(is_error(call(p, h, sem::release_atom::value, int32_t{0}), actors_error::invalid_argument));
  CHECK(call(p, h, std::string{"bogus"}) == caf::sec::unexpected_message);
  auto st = stats_of(p, s);
  CHECK(st.available == 1);
  CHECK(st.granted == 1);
}
