// The Banker's algorithm: the safety check on textbook states, the banker actor on the
// classic 5-process, 3-resource example (its safe sequence, a granted request, an unsafe one
// deferred), every refused request, reclaiming from terminated clients, and many concurrent
// clients whose every observed state is safe and who all finish.

#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <caf/all.hpp>

#include "actors_test_helpers.hpp"
#include "troupe/actors/banker.hpp"
#include "troupe/system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::actors::actors_error;
using troupe::actors::banker;
using troupe::actors::banker_snapshot;
using troupe::actors::find_safe_sequence;
using troupe::actors::resource_vector;
using troupe::test::call;
using troupe::test::call_for;
using troupe::test::is_error;
using troupe::test::next;
using troupe::test::probe;

namespace {

using bk = banker;

// Silberschatz, Galvin, Gagne, "Operating System Concepts", the Banker's algorithm example:
// five processes, resources A (10), B (5), C (7).
const resource_vector textbook_total{10, 5, 7};
const std::vector<resource_vector> textbook_max{
  {7, 5, 3}, {3, 2, 2}, {9, 0, 2}, {2, 2, 2}, {4, 3, 3}};
const std::vector<resource_vector> textbook_allocation{
  {0, 1, 0}, {2, 0, 0}, {3, 0, 2}, {2, 1, 1}, {0, 0, 2}};

/// An independent safety check for the randomized test: is there any order in which every
/// client can finish? (Tries clients greedily; greedy is exact for the Banker's check.)
bool is_safe(const banker_snapshot& s) {
  auto work = s.available;
  std::vector<bool> done(s.clients.size(), false);
  for (size_t round = 0; round < s.clients.size(); ++round) {
    bool any = false;
    for (size_t i = 0; i < s.clients.size(); ++i) {
      if (done[i])
        continue;
      const auto& c = s.clients[i];
      bool fits = true;
      for (size_t j = 0; j < work.size(); ++j)
        fits = fits && c.max[j] - c.allocation[j] <= work[j];
      if (!fits)
        continue;
      for (size_t j = 0; j < work.size(); ++j)
        work[j] += c.allocation[j];
      done[i] = true;
      any = true;
    }
    if (!any)
      break;
  }
  return std::all_of(done.begin(), done.end(), [](bool x) { return x; });
}

banker make_banker(troupe::system& sys, resource_vector total) {
  auto result = banker::spawn(sys, std::move(total));
  REQUIRE(result);
  return *result;
}

banker_snapshot snapshot_of(probe& p, const banker& b) {
  auto result = call_for<banker_snapshot>(p, b.handle(), bk::snapshot_atom::value);
  REQUIRE(result);
  return *result;
}

using request_atom = caf::atom_constant<caf::atom("t_request")>;

/// A textbook process as a plain CAF actor: declares `max`, acquires `allocation`, then on
/// `(request_atom, amounts)` requests them (the request is queued before it reports "asked")
/// and reports "granted" or the error.
caf::behavior textbook_process(caf::event_based_actor* self, caf::actor b, int me,
                               resource_vector max, resource_vector allocation,
                               caf::actor reporter) {
  auto report = [=](std::string what) { self->send(reporter, me, std::move(what)); };
  auto fail = [=](caf::error& err) { self->send(reporter, me, err); };
  self->request(b, caf::infinite, bk::claim_atom::value, max).then([] {}, fail);
  self->request(b, caf::infinite, bk::request_atom::value, allocation)
    .then([=] { report("ready"); }, fail);
  return {
    [=](request_atom, resource_vector& amounts) {
      self->request(b, caf::infinite, bk::request_atom::value, amounts)
        .then([=] { report("granted"); }, fail);
      report("asked");
    },
  };
}

} // namespace

TEST_CASE("banker: the textbook state is safe with the sequence P1, P3, P4, P0, P2") {
  auto seq = find_safe_sequence({3, 3, 2}, textbook_max, textbook_allocation);
  REQUIRE(seq);
  CHECK(*seq == std::vector<size_t>{1, 3, 4, 0, 2});
  // After granting P1's request (1,0,2): still safe, P1 first.
  auto allocation = textbook_allocation;
  allocation[1] = {3, 0, 2};
  seq = find_safe_sequence({2, 3, 0}, textbook_max, allocation);
  REQUIRE(seq);
  CHECK(*seq == std::vector<size_t>{1, 3, 4, 0, 2});
  // Then granting P0's (0,2,0) would leave (2,1,0) free: nobody's need fits, unsafe.
  allocation[0] = {0, 3, 0};
  CHECK(!find_safe_sequence({2, 1, 0}, textbook_max, allocation));
  // Mismatched lengths are no state at all.
  CHECK(!find_safe_sequence({1, 1}, textbook_max, textbook_allocation));
}

TEST_CASE("banker: the textbook example: P1's request is granted, P4's waits for resources, "
          "P0's unsafe request is deferred until it is safe") {
  troupe::system sys;
  probe p{sys};
  auto b = make_banker(sys, textbook_total);
  std::vector<caf::actor> procs;
  for (int i = 0; i < 5; ++i) {
    procs.push_back(sys.engine().spawn(textbook_process, b.handle(), i, textbook_max[i],
                                       textbook_allocation[i], p.handle()));
    CHECK(next<std::tuple<int, std::string>>(p) == std::tuple{i, std::string{"ready"}});
  }
  auto s = snapshot_of(p, b);
  CHECK(s.available == resource_vector{3, 3, 2});
  CHECK(s.safe_sequence == std::vector<uint32_t>{1, 3, 4, 0, 2});
  p->send(procs[1], request_atom::value, resource_vector{1, 0, 2});
  CHECK(next<std::tuple<int, std::string>>(p) == std::tuple{1, std::string{"asked"}});
  CHECK(next<std::tuple<int, std::string>>(p) == std::tuple{1, std::string{"granted"}});
  CHECK(snapshot_of(p, b).available == resource_vector{2, 3, 0});
  p->send(procs[4], request_atom::value, resource_vector{3, 3, 0}); // more than is free
  CHECK(next<std::tuple<int, std::string>>(p) == std::tuple{4, std::string{"asked"}});
  p->send(procs[0], request_atom::value, resource_vector{0, 2, 0}); // free, but unsafe
  CHECK(next<std::tuple<int, std::string>>(p) == std::tuple{0, std::string{"asked"}});
  s = snapshot_of(p, b);
  CHECK(s.deferred == 2);
  CHECK(s.available == resource_vector{2, 3, 0});
  CHECK(s.clients[0].waiting);
  CHECK(s.clients[4].waiting);
  // P1 finishes (terminates): its (3,0,2) comes back, (5,3,2) is free. P4's (3,3,0), first
  // in line, is now safe and granted; P0's (0,2,0) then finds too little of B and waits on.
  caf::anon_send_exit(procs[1], caf::exit_reason::kill);
  CHECK(next<std::tuple<int, std::string>>(p) == std::tuple{4, std::string{"granted"}});
  s = snapshot_of(p, b);
  CHECK(s.reclaimed == 1);
  CHECK(s.available == resource_vector{2, 0, 2});
  REQUIRE(s.clients.size() == 4);
  CHECK(s.clients[0].index == 0);
  CHECK(s.clients[0].waiting);
  // P4 finishes too: P0's request is safe now and granted.
  caf::anon_send_exit(procs[4], caf::exit_reason::kill);
  CHECK(next<std::tuple<int, std::string>>(p) == std::tuple{0, std::string{"granted"}});
  s = snapshot_of(p, b);
  CHECK(s.available == resource_vector{5, 1, 4});
  CHECK(s.safe_sequence.size() == 3);
}

TEST_CASE("banker: bad claims, requests beyond the claim and bad releases are refused") {
  troupe::system sys;
  probe p{sys};
  auto empty = banker::spawn(sys, {});
  REQUIRE(!empty);
  CHECK(is_error(empty.error(), actors_error::invalid_argument));
  CHECK(is_error(banker::spawn(sys, {1, -1}).error(), actors_error::invalid_argument));
  auto b = make_banker(sys, {4, 4});
  auto h = b.handle();
  CHECK(is_error(call(p, h, bk::request_atom::value, resource_vector{1, 0}),
                 actors_error::unknown_client));
  CHECK(is_error(call(p, h, bk::release_atom::value, resource_vector{1, 0}),
                 actors_error::unknown_client));
  CHECK(
    is_error(call(p, h, bk::claim_atom::value, resource_vector{5, 0}), actors_error::over_total));
  CHECK(is_error(call(p, h, bk::claim_atom::value, resource_vector{1}),
                 actors_error::invalid_argument));
  CHECK(is_error(call(p, h, bk::claim_atom::value, resource_vector{-1, 1}),
                 actors_error::invalid_argument));
  REQUIRE(call(p, h, bk::claim_atom::value, resource_vector{2, 2}) == caf::none);
  CHECK(
    is_error(call(p, h, bk::request_atom::value, resource_vector{3, 0}), actors_error::over_claim));
  CHECK(is_error(call(p, h, bk::request_atom::value, resource_vector{1, -1}),
                 actors_error::invalid_argument));
  REQUIRE(call(p, h, bk::request_atom::value, resource_vector{2, 1}) == caf::none);
  CHECK(
    is_error(call(p, h, bk::release_atom::value, resource_vector{0, 2}), actors_error::not_holder));
  CHECK(is_error(call(p, h, bk::claim_atom::value, resource_vector{1, 1}),
                 actors_error::invalid_argument)); // below what it holds
  CHECK(call(p, h, std::string{"bogus"}) == caf::sec::unexpected_message);
  auto s = snapshot_of(p, b);
  CHECK(s.available == resource_vector{2, 3});
  REQUIRE(s.clients.size() == 1);
  CHECK(s.clients[0].allocation == resource_vector{2, 1});
  REQUIRE(call(p, h, bk::leave_atom::value) == caf::none);
  s = snapshot_of(p, b);
  CHECK(s.available == resource_vector{4, 4});
  CHECK(s.clients.empty());
}

TEST_CASE("banker: a deferred request with a wait limit gives up with timeout") {
  troupe::system sys;
  probe p{sys};
  auto b = make_banker(sys, {1});
  auto holder = sys.engine().spawn(textbook_process, b.handle(), 0, resource_vector{1},
                                   resource_vector{1}, p.handle());
  CHECK(next<std::tuple<int, std::string>>(p) == std::tuple{0, std::string{"ready"}});
  REQUIRE(call(p, b.handle(), bk::claim_atom::value, resource_vector{1}) == caf::none);
  CHECK(is_error(
    call(p, b.handle(), bk::request_within_atom::value, caf::timespan{5ms}, resource_vector{1}),
    actors_error::timeout));
  CHECK(snapshot_of(p, b).clients[1].waiting == false);
  (void)holder;
}

TEST_CASE("banker: many concurrent clients: every state they observe is safe, all finish") {
  constexpr int clients = 16;
  constexpr int steps = 40;
  const resource_vector total{6, 5, 7, 4};
  troupe::test::parallel_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  auto b = make_banker(sys, total);
  for (int i = 0; i < clients; ++i)
    sys.spawn(
      [](co_actor& self, banker b, resource_vector total, unsigned seed,
         caf::actor checker) -> task {
        std::mt19937 rng{seed};
        resource_vector max(total.size());
        for (size_t j = 0; j < total.size(); ++j)
          max[j] = static_cast<int32_t>(rng() % (total[j] + 1));
        if (auto ok = co_await b.claim(self, max); !ok) {
          self.send(checker, std::string{"claim: "} + caf::to_string(ok.error()));
          co_return;
        }
        resource_vector held(total.size(), 0);
        for (int step = 0; step < steps; ++step) {
          resource_vector amounts(total.size(), 0);
          bool give_back = rng() % 3 == 0;
          for (size_t j = 0; j < total.size(); ++j) {
            auto room = give_back ? held[j] : max[j] - held[j];
            amounts[j] = room > 0 ? static_cast<int32_t>(rng() % (room + 1)) : 0;
          }
          auto done =
            give_back ? co_await b.release(self, amounts) : co_await b.request(self, amounts, 60s);
          if (!done) {
            self.send(checker, std::string{"step: "} + caf::to_string(done.error()));
            co_return;
          }
          for (size_t j = 0; j < total.size(); ++j)
            held[j] += give_back ? -amounts[j] : amounts[j];
          auto state = co_await b.snapshot(self);
          if (!state) {
            self.send(checker, std::string{"snapshot: "} + caf::to_string(state.error()));
            co_return;
          }
          self.send(checker, std::move(*state));
        }
        (void)co_await b.leave(self);
        self.send(checker, true);
      },
      b, total, static_cast<unsigned>(i * 7 + 3), p.handle());
  int finished = 0;
  int states = 0;
  int unsafe = 0;
  std::vector<std::string> failures;
  while (finished < clients && failures.empty()) {
    p->receive(
      [&](banker_snapshot& s) {
        ++states;
        if (!is_safe(s) || s.safe_sequence.size() != s.clients.size())
          ++unsafe;
      },
      [&](bool) { ++finished; }, [&](std::string& x) { failures.push_back(x); },
      caf::after(std::chrono::seconds{60}) >> [&] { failures.push_back("stuck"); });
  }
  REQUIRE(failures.empty());
  CHECK(finished == clients);
  CHECK(states == clients * steps);
  CHECK(unsafe == 0);
  auto s = snapshot_of(p, b);
  CHECK(s.available == total);
  CHECK(s.clients.empty());
  MESSAGE("requests deferred at least once: " << s.deferred << " of " << s.granted << " granted");
}
