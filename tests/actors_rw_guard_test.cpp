// The readers/writer guard: the exclusion invariant under thousands of random operations per
// policy, each policy's order on scripted arrivals, no starvation under fair, leases released
// when their holder dies or their timeout passes, and every refused request.

#include <random>
#include <set>
#include <string>
#include <tuple>

#include <caf/all.hpp>

#include "actors_test_helpers.hpp"
#include "troupe/actors/rw_guard.hpp"
#include "troupe/system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::actors::actors_error;
using troupe::actors::rw_guard;
using troupe::actors::rw_policy;
using troupe::actors::rw_stats;
using troupe::test::call;
using troupe::test::call_for;
using troupe::test::is_error;
using troupe::test::next;
using troupe::test::probe;

namespace {

using rw = rw_guard;

const std::string resource = "table";

rw_guard make_guard(troupe::system& sys, rw_policy policy,
                    std::optional<caf::timespan> lease_timeout = std::nullopt) {
  auto result = rw_guard::spawn(sys, policy, lease_timeout);
  REQUIRE(result);
  return *result;
}

rw_stats stats_of(probe& p, const rw_guard& g) {
  auto result = call_for<rw_stats>(p, g.handle(), rw::stats_atom::value, resource);
  REQUIRE(result);
  return *result;
}

using release_atom = caf::atom_constant<caf::atom("t_release")>;

/// A plain CAF client with a script: it asks for a lease at once (so its acquire is in the
/// guard's mailbox before it reports "queued"), reports "granted" (or the error), releases
/// on `release_atom` and reports "released" (or the error).
caf::behavior scripted_client(caf::event_based_actor* self, caf::actor guard, int me, bool write,
                              caf::actor reporter) {
  auto report = [=](std::string what) { self->send(reporter, me, std::move(what)); };
  auto fail = [=](caf::error& err) { self->send(reporter, me, err); };
  if (write)
    self->request(guard, caf::infinite, rw::acquire_write_atom::value, resource)
      .then([=] { report("granted"); }, fail);
  else
    self->request(guard, caf::infinite, rw::acquire_read_atom::value, resource)
      .then([=] { report("granted"); }, fail);
  report("queued");
  return {
    [=](release_atom) {
      self->request(guard, caf::infinite, rw::release_atom::value, resource)
        .then([=] { report("released"); }, fail);
    },
  };
}

/// Drives scripted clients and keeps track of what they reported.
class script {
public:
  script(troupe::system& sys, probe& p, const rw_guard& g) : sys_(sys), p_(p), g_(g) {}

  /// Starts client `me` and waits until its acquire is queued at the guard.
  caf::actor arrive(int me, bool write) {
    auto client = sys_.engine().spawn(scripted_client, g_.handle(), me, write, p_.handle());
    await(me, "queued");
    return client;
  }

  /// Tells `client` (number `me`) to release, and waits until the guard confirmed it.
  void release(const caf::actor& client, int me) {
    p_->send(client, release_atom::value);
    await(me, "released");
  }

  /// Waits until client `me` reported `what`.
  void await(int me, const std::string& what) {
    while (seen_.count({me, what}) == 0) {
      std::tuple<int, std::string> x;
      p_->receive(
        [&](int who, std::string& w) {
          x = {who, std::move(w)};
        },
        [&](int who, caf::error& err) {
          x = {who, caf::to_string(err)};
        },
        caf::after(troupe::test::patience) >>
          [&] {
            x = {me, "no " + what};
          });
      REQUIRE(std::get<1>(x) != "no " + what);
      seen_.insert(x);
    }
  }

  /// Whether client `me` reported `what` so far (messages already received).
  bool saw(int me, const std::string& what) const { return seen_.count({me, what}) > 0; }

private:
  troupe::system& sys_;
  probe& p_;
  const rw_guard& g_;
  std::set<std::tuple<int, std::string>> seen_;
};

constexpr bool reader = false;
constexpr bool writer = true;

} // namespace

TEST_CASE("rw_guard: no writer overlaps another lease across thousands of random operations, "
          "under each policy") {
  constexpr int actors = 12;
  constexpr int ops = 150;
  const std::vector<std::string> resources{"a", "b", "c"};
  for (auto policy :
       {rw_policy::readers_preference, rw_policy::writers_preference, rw_policy::fair}) {
    CAPTURE(to_string(policy));
    troupe::test::parallel_config cfg;
    troupe::system sys{cfg};
    probe p{sys};
    auto g = make_guard(sys, policy);
    for (int i = 0; i < actors; ++i)
      sys.spawn(
        [](co_actor& self, rw_guard g, std::vector<std::string> resources, unsigned seed,
           caf::actor checker) -> task {
          std::mt19937 rng{seed};
          for (int op = 0; op < ops; ++op) {
            auto res = resources[rng() % resources.size()];
            bool write = rng() % 5 == 0;
            auto got = write ? co_await g.acquire_write(self, res, 30s)
                             : co_await g.acquire_read(self, res, 30s);
            if (!got) {
              self.send(checker, std::string{"acquire failed: "} + caf::to_string(got.error()));
              co_return;
            }
            // Inside: tell the checker, and ask the guard what it thinks is held meanwhile.
            self.send(checker, res, write, true);
            auto seen = co_await g.stats(self, res);
            bool consistent = seen && (write ? seen->writer && seen->readers == 0
                                             : !seen->writer && seen->readers >= 1);
            self.send(checker, res, write, false);
            if (!consistent)
              self.send(checker, std::string{"guard's own count broke the invariant"});
            (void)co_await g.release(self, res);
          }
          self.send(checker, true);
        },
        g, resources, static_cast<unsigned>(i + 1), p.handle());
    std::map<std::string, std::pair<int, int>> inside; // readers, writers
    int violations = 0;
    int finished = 0;
    int entries = 0;
    std::vector<std::string> failures;
    while (finished < actors && failures.empty()) {
      p->receive(
        [&](std::string& res, bool write, bool enter) {
          auto& [readers, writers] = inside[res];
          (write ? writers : readers) += enter ? 1 : -1;
          entries += enter ? 1 : 0;
          if (writers > 1 || (writers == 1 && readers > 0))
            ++violations;
        },
        [&](bool) { ++finished; }, [&](std::string& failure) { failures.push_back(failure); },
        caf::after(std::chrono::seconds{60}) >> [&] { failures.push_back("stuck"); });
    }
    REQUIRE(failures.empty());
    CHECK(violations == 0);
    CHECK(entries == actors * ops);
    for (auto& [res, counts] : inside)
      CHECK(counts == std::pair{0, 0});
  }
}

TEST_CASE("rw_guard: a reader arriving while a writer waits: readers_preference lets it in, "
          "the other policies make it wait for the writer") {
  for (auto policy :
       {rw_policy::readers_preference, rw_policy::writers_preference, rw_policy::fair}) {
    CAPTURE(to_string(policy));
    troupe::system sys;
    probe p{sys};
    auto g = make_guard(sys, policy);
    script s{sys, p, g};
    auto r1 = s.arrive(1, reader);
    s.await(1, "granted");
    auto w2 = s.arrive(2, writer);
    auto r3 = s.arrive(3, reader);
    if (policy == rw_policy::readers_preference) {
      s.await(3, "granted");
      CHECK(stats_of(p, g).readers == 2);
      s.release(r1, 1);
      s.release(r3, 3);
      s.await(2, "granted");
    } else {
      CHECK(stats_of(p, g).readers == 1);
      CHECK(stats_of(p, g).waiting == 2);
      s.release(r1, 1);
      s.await(2, "granted");
      CHECK(!s.saw(3, "granted"));
      CHECK(stats_of(p, g).writer);
      s.release(w2, 2);
      s.await(3, "granted");
    }
  }
}

TEST_CASE("rw_guard: when a writer leaves with a reader and a writer waiting: fair takes the "
          "one that came first, writers_preference the writer, readers_preference the reader") {
  for (auto policy :
       {rw_policy::readers_preference, rw_policy::writers_preference, rw_policy::fair}) {
    CAPTURE(to_string(policy));
    troupe::system sys;
    probe p{sys};
    auto g = make_guard(sys, policy);
    script s{sys, p, g};
    auto w1 = s.arrive(1, writer);
    s.await(1, "granted");
    auto r2 = s.arrive(2, reader);
    auto w3 = s.arrive(3, writer);
    s.release(w1, 1);
    auto st = stats_of(p, g);
    if (policy == rw_policy::writers_preference) {
      CHECK(st.writer);
      s.await(3, "granted");
      s.release(w3, 3);
      s.await(2, "granted");
    } else {
      CHECK(st.readers == 1);
      s.await(2, "granted");
      CHECK(!s.saw(3, "granted"));
      s.release(r2, 2);
      s.await(3, "granted");
    }
  }
}

TEST_CASE("rw_guard: under fair, a writer is not starved by readers that keep arriving") {
  constexpr int later_readers = 10;
  for (auto policy : {rw_policy::fair, rw_policy::readers_preference}) {
    CAPTURE(to_string(policy));
    troupe::system sys;
    probe p{sys};
    auto g = make_guard(sys, policy);
    script s{sys, p, g};
    auto r0 = s.arrive(0, reader);
    s.await(0, "granted");
    auto w = s.arrive(100, writer);
    std::vector<caf::actor> readers;
    for (int i = 1; i <= later_readers; ++i)
      readers.push_back(s.arrive(i, reader));
    if (policy == rw_policy::fair) {
      // The readers that came after the writer wait for it: the writer goes next.
      CHECK(stats_of(p, g).readers == 1);
      s.release(r0, 0);
      s.await(100, "granted");
      s.release(w, 100);
      for (int i = 1; i <= later_readers; ++i)
        s.await(i, "granted");
      CHECK(stats_of(p, g).readers == later_readers);
    } else {
      // readers_preference: they all get in ahead of it; it waits while any reader holds.
      for (int i = 1; i <= later_readers; ++i)
        s.await(i, "granted");
      s.release(r0, 0);
      auto st = stats_of(p, g);
      CHECK(st.readers == later_readers);
      CHECK(!st.writer);
      CHECK(!s.saw(100, "granted"));
    }
  }
}

TEST_CASE("rw_guard: the lease of a holder that terminates is released") {
  troupe::system sys;
  probe p{sys};
  auto g = make_guard(sys, rw_policy::fair);
  script s{sys, p, g};
  auto w1 = s.arrive(1, writer);
  s.await(1, "granted");
  auto r2 = s.arrive(2, reader);
  caf::anon_send_exit(w1, caf::exit_reason::kill);
  s.await(2, "granted");
  auto st = stats_of(p, g);
  CHECK(st.reclaimed == 1);
  CHECK(st.readers == 1);
  CHECK(!st.writer);
}

TEST_CASE("rw_guard: a lease that outlives the lease timeout is revoked, its release says so") {
  troupe::system sys;
  probe p{sys};
  auto g = make_guard(sys, rw_policy::fair, caf::timespan{20ms});
  script s{sys, p, g};
  auto w1 = s.arrive(1, writer);
  s.await(1, "granted");
  auto r2 = s.arrive(2, reader);
  s.await(2, "granted"); // only the timeout can let it in: w1 never releases by itself
  CHECK(stats_of(p, g).expired >= 1);
  p->send(w1, release_atom::value);
  auto [who, err] = next<std::tuple<int, caf::error>>(p);
  CHECK(who == 1);
  CHECK(is_error(err, actors_error::lease_expired));
}

TEST_CASE("rw_guard: bad requests are refused and change nothing") {
  troupe::system sys;
  probe p{sys};
  auto bad_timeout = rw_guard::spawn(sys, rw_policy::fair, caf::timespan{0});
  REQUIRE(!bad_timeout);
  CHECK(is_error(bad_timeout.error(), actors_error::invalid_argument));
  auto g = make_guard(sys, rw_policy::fair);
  auto h = g.handle();
  CHECK(is_error(call(p, h, rw::acquire_read_atom::value, std::string{}),
                 actors_error::invalid_argument));
  CHECK(is_error(call(p, h, rw::release_atom::value, resource), actors_error::not_holder));
  REQUIRE(call(p, h, rw::acquire_read_atom::value, resource) == caf::none);
  // A second lease on the same resource would wait for the holder itself.
  CHECK(
    is_error(call(p, h, rw::acquire_write_atom::value, resource), actors_error::invalid_argument));
  CHECK(
    is_error(call(p, h, rw::acquire_read_atom::value, resource), actors_error::invalid_argument));
  // Another actor's write waits behind the probe's read; the refusals above changed nothing.
  script s{sys, p, g};
  auto w = s.arrive(1, writer);
  (void)w;
  CHECK(call(p, h, std::string{"bogus"}) == caf::sec::unexpected_message);
  auto st = stats_of(p, g);
  CHECK(st.readers == 1);
  CHECK(st.waiting == 1);
  REQUIRE(call(p, h, rw::release_atom::value, resource) == caf::none);
  s.await(1, "granted");
}

TEST_CASE("rw_guard: an acquire with a wait limit gives up with timeout") {
  troupe::system sys;
  probe p{sys};
  auto g = make_guard(sys, rw_policy::writers_preference);
  script s{sys, p, g};
  auto r1 = s.arrive(1, reader);
  s.await(1, "granted");
  CHECK(is_error(
    call(p, g.handle(), rw::acquire_within_atom::value, caf::timespan{5ms}, writer, resource),
    actors_error::timeout));
  // The writer that gave up no longer holds readers back under writers_preference.
  auto r2 = s.arrive(2, reader);
  s.await(2, "granted");
  CHECK(stats_of(p, g).readers == 2);
}
