// The cyclic barrier: rounds that hold every party until the last arrives, and every way it
// breaks (a party terminates, a time limit passes, abort) and is reset.

#include <set>
#include <tuple>
#include <vector>

#include <caf/all.hpp>

#include "actors_test_helpers.hpp"
#include "troupe/actors/barrier.hpp"
#include "troupe/system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::actors::actors_error;
using troupe::actors::barrier;
using troupe::test::call;
using troupe::test::call_for;
using troupe::test::is_error;
using troupe::test::next;
using troupe::test::probe;

namespace {

using bar = barrier;

barrier make_barrier(troupe::system& sys, int32_t parties,
                     std::optional<caf::timespan> timeout = std::nullopt) {
  auto result = barrier::spawn(sys, parties, timeout);
  REQUIRE(result);
  return *result;
}

/// The barrier's (waiting, rounds, broken).
std::tuple<int32_t, uint64_t, bool> stats_of(probe& p, const barrier& b) {
  std::tuple<int32_t, uint64_t, bool> result{-1, 0, false};
  p->request(b.handle(), troupe::test::patience, bar::stats_atom::value)
    .receive(
      [&](int32_t waiting, uint64_t rounds, bool broken) {
        result = {waiting, rounds, broken};
      },
      [](caf::error&) {});
  return result;
}

/// The error that the pending request `h` was answered with (none for a value).
template <class Handle> caf::error outcome(Handle& h) {
  caf::error result;
  h.receive([](int32_t) {}, [&](caf::error& err) { result = err; });
  return result;
}

/// A plain CAF actor that waits at `b` once (its wait is queued before it reports `true`),
/// then idles until killed.
caf::behavior waiting_party(caf::event_based_actor* self, caf::actor b, caf::actor reporter) {
  self->request(b, caf::infinite, bar::wait_atom::value)
    .then([=](int32_t) {}, [=](caf::error& err) { self->send(reporter, err); });
  self->send(reporter, true);
  return {[](int) {}};
}

} // namespace

TEST_CASE("barrier: fewer than one party is refused") {
  troupe::system sys;
  auto result = barrier::spawn(sys, 0);
  REQUIRE(!result);
  CHECK(is_error(result.error(), actors_error::invalid_argument));
}

TEST_CASE("barrier: no party passes a round before every party arrived, round after round") {
  constexpr int parties = 4;
  constexpr int rounds = 20;
  troupe::test::parallel_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  auto b = make_barrier(sys, parties);
  for (int i = 0; i < parties; ++i)
    sys.spawn(
      [](co_actor& self, barrier b, int me, caf::actor reporter) -> task {
        for (int r = 0; r < rounds; ++r) {
          self.send(reporter, me, r, -1); // arrived
          auto index = co_await b.arrive_and_wait(self, 5s);
          self.send(reporter, me, r, index ? *index : -2); // passed, with its arrival index
        }
      },
      b, i, p.handle());
  std::vector<int> arrived(rounds, 0);
  std::vector<std::multiset<int>> indexes(rounds);
  int violations = 0;
  for (int i = 0; i < 2 * parties * rounds; ++i) {
    auto [who, round, index] = next<std::tuple<int, int, int>>(p);
    (void)who;
    if (index == -1) {
      ++arrived[round];
      continue;
    }
    if (arrived[round] != parties)
      ++violations;
    indexes[round].insert(index);
  }
  CHECK(violations == 0);
  for (int r = 0; r < rounds; ++r)
    CHECK(indexes[r] == std::multiset<int>{0, 1, 2, 3});
  CHECK(stats_of(p, b) == std::tuple<int32_t, uint64_t, bool>{0, rounds, false});
}

TEST_CASE("barrier: a party that terminates while others wait breaks it for all, reset heals") {
  troupe::system sys;
  probe p{sys};
  auto b = make_barrier(sys, 3);
  auto party = sys.engine().spawn(waiting_party, b.handle(), p.handle());
  REQUIRE(next<bool>(p));
  auto mine = p->request(b.handle(), caf::infinite, bar::wait_atom::value);
  caf::anon_send_exit(party, caf::exit_reason::kill);
  CHECK(is_error(outcome(mine), actors_error::broken_barrier));
  // Broken until reset: a later wait is refused at once.
  CHECK(is_error(call_for<int32_t>(p, b.handle(), bar::wait_atom::value).error(),
                 actors_error::broken_barrier));
  CHECK(std::get<2>(stats_of(p, b)));
  REQUIRE(call(p, b.handle(), bar::reset_atom::value) == caf::none);
  CHECK(!std::get<2>(stats_of(p, b)));
  // A fresh round of three from one sender fills and trips.
  auto w1 = p->request(b.handle(), caf::infinite, bar::wait_atom::value);
  auto w2 = p->request(b.handle(), caf::infinite, bar::wait_atom::value);
  CHECK(call_for<int32_t>(p, b.handle(), bar::wait_atom::value) == 2);
  CHECK(outcome(w1) == caf::none);
  CHECK(outcome(w2) == caf::none);
}

TEST_CASE("barrier: a party that terminated before anyone waits breaks it too") {
  troupe::system sys;
  probe p{sys};
  auto b = make_barrier(sys, 2);
  // The party waits, then the probe's reset breaks its wait (it reports the error) and it is
  // killed while nobody waits: the round it belonged to can never fill.
  auto party = sys.engine().spawn(waiting_party, b.handle(), p.handle());
  REQUIRE(next<bool>(p));
  REQUIRE(call(p, b.handle(), bar::reset_atom::value) == caf::none);
  CHECK(is_error(next<caf::error>(p), actors_error::broken_barrier));
  CHECK(!std::get<2>(stats_of(p, b)));
  p->monitor(party);
  caf::anon_send_exit(party, caf::exit_reason::kill);
  (void)next<caf::down_msg>(p);
  auto mine = p->request(b.handle(), caf::infinite, bar::wait_atom::value);
  // Whether the barrier saw the down before or after this wait, the wait ends broken.
  CHECK(is_error(outcome(mine), actors_error::broken_barrier));
}

TEST_CASE("barrier: parties that finish normally while nobody waits leave it whole") {
  troupe::system sys;
  probe p{sys};
  auto b = make_barrier(sys, 2);
  for (int i = 0; i < 2; ++i) {
    auto party = sys.spawn(
      [](co_actor& self, barrier b) -> task { (void)co_await b.arrive_and_wait(self, 5s); }, b);
    p->monitor(party);
  }
  (void)next<caf::down_msg>(p);
  (void)next<caf::down_msg>(p);
  // The barrier may see the down messages after this request; either way it stays whole.
  auto w = p->request(b.handle(), caf::infinite, bar::wait_atom::value);
  CHECK(call_for<int32_t>(p, b.handle(), bar::wait_atom::value) == 1);
  CHECK(outcome(w) == caf::none);
  CHECK(std::get<1>(stats_of(p, b)) == 2);
}

TEST_CASE("barrier: a wait that outlives its limit breaks the barrier for every waiter") {
  troupe::system sys;
  probe p{sys};
  auto b = make_barrier(sys, 3);
  auto patient = p->request(b.handle(), caf::infinite, bar::wait_atom::value);
  auto limited =
    p->request(b.handle(), caf::infinite, bar::wait_within_atom::value, caf::timespan{5ms});
  CHECK(is_error(outcome(limited), actors_error::broken_barrier));
  CHECK(is_error(outcome(patient), actors_error::broken_barrier));
}

TEST_CASE("barrier: the barrier's own timeout applies to waits that name none") {
  troupe::system sys;
  probe p{sys};
  auto b = make_barrier(sys, 2, caf::timespan{5ms});
  CHECK(is_error(call_for<int32_t>(p, b.handle(), bar::wait_atom::value).error(),
                 actors_error::broken_barrier));
}

TEST_CASE("barrier: abort breaks it, bad requests are refused") {
  troupe::system sys;
  probe p{sys};
  auto b = make_barrier(sys, 2);
  auto w = p->request(b.handle(), caf::infinite, bar::wait_atom::value);
  REQUIRE(call(p, b.handle(), bar::abort_atom::value) == caf::none);
  CHECK(is_error(outcome(w), actors_error::broken_barrier));
  CHECK(call(p, b.handle(), bar::wait_within_atom::value, 5) == caf::sec::unexpected_message);
  CHECK(call(p, b.handle(), std::string{"bogus"}) == caf::sec::unexpected_message);
}
