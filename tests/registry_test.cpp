// The name registry: string names for actors, spawn_named, lookup, send by name, and the
// lifetime of a name (it ends with its actor).

#include <algorithm>
#include <atomic>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <caf/all.hpp>

#include "test_helpers.hpp"
#include "troupe/system.hpp"

using namespace std::chrono_literals;
using troupe::error_code;
using troupe::make_error;
using troupe::test::ask;
using troupe::test::error_of;
using troupe::test::next;
using troupe::test::next_down;
using troupe::test::probe;
using troupe::test::resolves_to;

namespace {

/// Answers each int request with twice its value, forever.
troupe::task doubler(troupe::co_actor& self) {
  for (;;) {
    auto n = co_await self.receive<int>();
    (void)self.reply(n * 2);
  }
}

/// Counts its starts in `starts`, then waits for one int and exits normally.
troupe::task counted(troupe::co_actor& self, std::shared_ptr<std::atomic<int>> starts) {
  ++*starts;
  (void)co_await self.receive<int>();
}

/// A plain CAF actor that answers an int with the int plus `offset`.
caf::behavior adder(caf::event_based_actor*, int offset) {
  return {[offset](int x) { return x + offset; }};
}

} // namespace

TEST_CASE("registry: spawn_named makes an actor reachable by lookup and by name") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto beta = sys.spawn_named("beta", doubler);
  auto alpha = sys.spawn_named("alpha", doubler);
  REQUIRE(alpha);
  REQUIRE(beta);
  CHECK(resolves_to(sys, "alpha", *alpha));
  CHECK(resolves_to(sys, "beta", *beta));
  CHECK(sys.names() == std::vector<std::string>{"alpha", "beta"});
  CHECK(ask(p, *alpha, 21) == 42);
  CHECK(ask(p, *beta, 4) == 8);
  // An anonymous send by name reaches the actor: it arrives with no sender.
  auto gamma = sys.spawn_named(
    "gamma",
    [](troupe::co_actor& self, caf::actor reporter) -> troupe::task {
      auto n = co_await self.receive<int>();
      self.send(reporter, n, self.sender() == nullptr);
    },
    p.handle());
  REQUIRE(gamma);
  CHECK(!sys.send("gamma", 1));
  CHECK(next<std::tuple<int, bool>>(p) == std::tuple{1, true});
  sys.shutdown();
  CHECK(sys.names().empty());
}

TEST_CASE("registry: register_name gives an existing CAF actor one or more names") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto plain = sys.engine().spawn(adder, 100);
  REQUIRE(!sys.register_name("adder", plain));
  REQUIRE(!sys.register_name("plus-hundred", plain));
  CHECK(resolves_to(sys, "adder", plain));
  CHECK(resolves_to(sys, "plus-hundred", plain));
  CHECK(sys.names() == std::vector<std::string>{"adder", "plus-hundred"});
  CHECK(ask(p, plain, 1) == 101);
  p->monitor(plain);
  caf::anon_send_exit(plain, caf::exit_reason::kill);
  CHECK(next_down(p, plain.address()) == caf::exit_reason::kill);
  CHECK(sys.names().empty());
}

TEST_CASE("registry: a duplicate name is refused and nothing is spawned for it") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto first = sys.spawn_named("taken", counted, starts);
  REQUIRE(first);
  auto second = sys.spawn_named("taken", counted, starts);
  REQUIRE(!second);
  CHECK(error_of(second) == make_error(error_code::duplicate_name));
  CHECK(troupe::test::context_of(second.error()) == "taken");
  auto plain = sys.engine().spawn(adder, 1);
  CHECK(sys.register_name("taken", plain) == make_error(error_code::duplicate_name));
  CHECK(resolves_to(sys, "taken", *first));
  caf::anon_send_exit(plain, caf::exit_reason::kill);
  // Once every actor is gone, exactly one body has run.
  p->monitor(*first);
  REQUIRE(!sys.send("taken", 1));
  CHECK(next_down(p, first->address()) == caf::exit_reason::normal);
  sys.await_all_actors_done();
  CHECK(starts->load() == 1);
}

TEST_CASE("registry: invalid names are refused with invalid_name") {
  troupe::test::parallel_system sys;
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto plain = sys.engine().spawn(adder, 1);
  const std::vector<std::string> invalid{
    "",                      // empty
    std::string(256, 'x'),   // one byte too long
    "\xC3\x28",              // a lead byte followed by a non-continuation byte
    "\xC0\xAF",              // overlong encoding of '/'
    "\xED\xA0\x80",          // a UTF-16 surrogate
    "\xF4\x90\x80\x80",      // above U+10FFFF
    "name\xE2\x82",          // truncated sequence at the end
    "\xFF",                  // never valid in UTF-8
    "worker@host:4242",      // '@' is reserved for remote names
    "@",
  };
  for (const auto& name : invalid) {
    CAPTURE(name);
    auto spawned = sys.spawn_named(name, counted, starts);
    REQUIRE(!spawned);
    CHECK(error_of(spawned) == make_error(error_code::invalid_name));
    CHECK(sys.register_name(name, plain) == make_error(error_code::invalid_name));
    CHECK(troupe::registry::validate(name) == make_error(error_code::invalid_name));
  }
  CHECK(sys.names().empty());
  caf::anon_send_exit(plain, caf::exit_reason::kill);
  sys.await_all_actors_done();
  CHECK(starts->load() == 0);
}

TEST_CASE("registry: a 255-byte name and multi-byte UTF-8 names are accepted") {
  troupe::test::parallel_system sys;
  probe p{sys};
  const std::vector<std::string> valid{
    std::string(255, 'n'),
    "gr\xC3\xB6\xC3\x9F" "e",           // "größe": two-byte sequences
    "\xE5\x90\x8D\xE5\x89\x8D",         // "名前": three-byte sequences
    "\xF0\x9F\x8E\xAD-mask",            // U+1F3AD: a four-byte sequence
    std::string(127, 'a') + "\xC3\xA9" + std::string(126, 'b'), // 255 bytes, one of them é
  };
  for (const auto& name : valid) {
    CAPTURE(name);
    CHECK(!troupe::registry::validate(name));
    auto spawned = sys.spawn_named(name, doubler);
    REQUIRE(spawned);
    CHECK(resolves_to(sys, name, *spawned));
    CHECK(ask(p, *spawned, 4) == 8);
  }
  auto expected = valid;
  std::sort(expected.begin(), expected.end());
  CHECK(sys.names() == expected);
  sys.shutdown();
}

TEST_CASE("registry: a name is freed when its actor exits and can be used again") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto starts = std::make_shared<std::atomic<int>>(0);
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    auto worker = sys.spawn_named("worker", counted, starts);
    REQUIRE(worker);
    p->monitor(*worker);
    REQUIRE(!sys.send("worker", round));
    CHECK(next_down(p, worker->address()) == caf::exit_reason::normal);
    // The down message is sent only after the actor's name is gone.
    CHECK(error_of(sys.lookup("worker")) == make_error(error_code::unknown_name));
    CHECK(sys.send("worker", 1) == make_error(error_code::unknown_name));
    CHECK(sys.names().empty());
  }
  CHECK(starts->load() == 3);
}

TEST_CASE("registry: the name of a registered CAF actor is freed when it is killed") {
  troupe::test::parallel_system sys;
  probe p{sys};
  for (int round = 0; round < 3; ++round) {
    auto plain = sys.engine().spawn(adder, round);
    REQUIRE(!sys.register_name("plain", plain));
    p->monitor(plain);
    caf::anon_send_exit(plain, caf::exit_reason::user_shutdown);
    CHECK(next_down(p, plain.address()) == caf::exit_reason::user_shutdown);
    CHECK(error_of(sys.lookup("plain")) == make_error(error_code::unknown_name));
  }
}

TEST_CASE("registry: unregister_name removes a name but leaves its actor running") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto named = sys.spawn_named("short-lived-name", doubler);
  REQUIRE(named);
  CHECK(sys.unregister_name("short-lived-name"));
  CHECK_FALSE(sys.unregister_name("short-lived-name"));
  CHECK_FALSE(sys.unregister_name("never-registered"));
  CHECK(error_of(sys.lookup("short-lived-name")) == make_error(error_code::unknown_name));
  CHECK(sys.names().empty());
  CHECK(ask(p, *named, 5) == 10);
  // The name is free for another actor, and the first one's exit does not remove it.
  auto other = sys.spawn_named("short-lived-name", doubler);
  REQUIRE(other);
  p->monitor(*named);
  caf::anon_send_exit(*named, caf::exit_reason::kill);
  CHECK(next_down(p, named->address()) == caf::exit_reason::kill);
  CHECK(resolves_to(sys, "short-lived-name", *other));
  sys.shutdown();
}

TEST_CASE("registry: sending to an unknown name returns unknown_name") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto err = sys.send("nobody", 1);
  CHECK(err == make_error(error_code::unknown_name));
  CHECK(err.category() == troupe::troupe_error_category);
  CHECK(err.code() == static_cast<uint8_t>(error_code::unknown_name));
  CHECK(troupe::test::context_of(err) == "nobody");
  auto sender = sys.spawn(
    [](troupe::co_actor& self, caf::actor reporter) -> troupe::task {
      self.send(reporter, self.send("nobody", 1));
      self.send(reporter, self.send("", 1));
      co_return;
    },
    p.handle());
  CHECK(next<caf::error>(p) == make_error(error_code::unknown_name));
  CHECK(next<caf::error>(p) == make_error(error_code::unknown_name));
}

TEST_CASE("registry: a send by name fails with unknown_name once the named actor exited") {
  // The sender's first send puts "target" in its name cache; after the target's down message
  // the cached entry must not be used.
  troupe::test::parallel_system sys;
  probe p{sys};
  auto target = sys.spawn_named("target", [](troupe::co_actor& self) -> troupe::task {
    (void)co_await self.receive<int>();
  });
  REQUIRE(target);
  auto sender = sys.spawn(
    [](troupe::co_actor& self, caf::actor reporter, caf::actor watched) -> troupe::task {
      self.monitor(watched);
      self.send(reporter, self.send("target", 1)); // the target takes it and exits
      (void)co_await self.receive<caf::down_msg>();
      self.send(reporter, self.send("target", 2));
    },
    p.handle(), *target);
  CHECK(next<caf::error>(p) == caf::none);
  CHECK(next<caf::error>(p) == make_error(error_code::unknown_name));
}

TEST_CASE("registry: of threads racing for one name exactly one wins") {
  constexpr int contenders = 8;
  troupe::test::parallel_system sys;
  std::vector<caf::actor> actors;
  for (int i = 0; i < contenders; ++i)
    actors.push_back(sys.engine().spawn(adder, i));
  std::vector<caf::error> results(contenders);
  std::latch start{contenders};
  std::vector<std::thread> threads;
  for (int i = 0; i < contenders; ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = sys.register_name("prize", actors[i]);
    });
  for (auto& t : threads)
    t.join();
  auto winners = std::count(results.begin(), results.end(), caf::error{});
  auto losers = std::count(results.begin(), results.end(), make_error(error_code::duplicate_name));
  REQUIRE(winners == 1);
  CHECK(losers == contenders - 1);
  auto winner = std::find(results.begin(), results.end(), caf::error{}) - results.begin();
  CHECK(resolves_to(sys, "prize", actors[winner]));
  for (auto& a : actors)
    caf::anon_send_exit(a, caf::exit_reason::kill);
}

namespace {

/// Shared tallies of the concurrency test; slot i belongs to coroutine actor i.
struct tallies {
  explicit tallies(int n) : pings_to(n) {}
  std::vector<std::atomic<int>> pings_to; // pings accepted for actor i (sent successfully)
  std::atomic<int> broken_invariants{0};
};

/// One of the concurrent actors: `rounds` times it registers `co-<i>`, checks the name
/// resolves to itself, mails itself by name, pings its neighbour by name (which may or may not
/// be registered right now), and unregisters. Then it drains the pings it was promised.
troupe::task churner(troupe::co_actor& self, int i, int n, int rounds,
                     std::shared_ptr<tallies> t, caf::actor reporter) {
  (void)co_await self.receive<bool>(); // start once every permanent name is registered
  auto& sys = self.system();
  auto own = "co-" + std::to_string(i);
  auto neighbour = "co-" + std::to_string((i + 1) % n);
  auto fixed_neighbour = "fixed-" + std::to_string((i + 1) % n);
  for (int r = 0; r < rounds; ++r) {
    if (sys.register_name(own, self.handle()))
      ++t->broken_invariants;
    if (self.lookup(own) != self.handle())
      ++t->broken_invariants;
    if (self.send(own, r))
      ++t->broken_invariants;
    if (co_await self.receive<int>() != r)
      ++t->broken_invariants;
    if (!self.send(neighbour, std::string{"ping"}))
      ++t->pings_to[(i + 1) % n];
    if (self.send(fixed_neighbour, std::string{"ping"})) // a permanent name always resolves
      ++t->broken_invariants;
    else
      ++t->pings_to[(i + 1) % n];
    if (!sys.unregister_name(own))
      ++t->broken_invariants;
  }
  self.send(reporter, i);
  // The test sends the number of pings this actor must have got once every sender is done.
  auto expected = co_await self.receive<uint64_t>();
  uint64_t received = 0;
  // Not `while (received < expected && co_await ...)`: GCC 12 evaluates a co_await on the right
  // of && even when the left side is false, and that receive would take a message.
  while (received < expected) {
    auto ping = co_await self.receive<std::string>(troupe::test::patience);
    if (!ping)
      break;
    ++received;
  }
  // Nothing more may be waiting: every ping was sent before the count.
  auto extra = co_await self.receive<std::string>(1ms);
  if (extra)
    ++received;
  self.send(reporter, i, received);
}

} // namespace

TEST_CASE("registry: concurrent registering and sending by name keeps names and counts exact") {
  constexpr int actors = 64;
  constexpr int rounds = 50;
  constexpr int threads = 4;
  constexpr int iterations = 200;
  troupe::test::parallel_system sys;
  probe p{sys};
  auto t = std::make_shared<tallies>(actors);
  std::vector<caf::actor> handles;
  for (int i = 0; i < actors; ++i) {
    auto a = sys.spawn_named("fixed-" + std::to_string(i), churner, i, actors, rounds, t,
                             p.handle());
    REQUIRE(a);
    handles.push_back(*a);
  }
  for (auto& a : handles)
    p->send(a, true);
  std::vector<std::thread> workers;
  for (int k = 0; k < threads; ++k)
    workers.emplace_back([&, k] {
      // Each thread names its own scoped actor, mails itself by name, pings the actors by
      // their permanent names, and gives its name up again.
      probe self{sys};
      const caf::actor& me = self.handle();
      auto own = "thread-" + std::to_string(k);
      for (int j = 0; j < iterations; ++j) {
        auto target = (j * threads + k) % actors;
        if (sys.register_name(own, me))
          ++t->broken_invariants;
        auto self_found = sys.lookup(own);
        if (!self_found || *self_found != me || sys.send(own, j))
          ++t->broken_invariants;
        bool echoed = false;
        self->receive([&](int x) { echoed = x == j; },
                      caf::after(troupe::test::patience) >> [] {});
        if (!echoed)
          ++t->broken_invariants;
        auto fixed = sys.lookup("fixed-" + std::to_string(target));
        if (!fixed || *fixed != handles[target])
          ++t->broken_invariants;
        if (sys.send("fixed-" + std::to_string(target), std::string{"ping"}))
          ++t->broken_invariants;
        else
          ++t->pings_to[target];
        if (!sys.unregister_name(own))
          ++t->broken_invariants;
      }
    });
  for (int i = 0; i < actors; ++i)
    next<int>(p);
  for (auto& w : workers)
    w.join();
  CHECK(t->broken_invariants.load() == 0);
  std::vector<std::string> fixed_names;
  for (int i = 0; i < actors; ++i)
    fixed_names.push_back("fixed-" + std::to_string(i));
  std::sort(fixed_names.begin(), fixed_names.end());
  CHECK(sys.names() == fixed_names);
  int total = 0;
  for (int i = 0; i < actors; ++i) {
    auto promised = static_cast<uint64_t>(t->pings_to[i].load());
    total += static_cast<int>(promised);
    p->send(handles[i], promised);
  }
  // Every actor pinged its neighbour's permanent name each round; threads added theirs.
  CHECK(total >= actors * rounds + threads * iterations);
  int exact = 0;
  for (int i = 0; i < actors; ++i) {
    auto [who, received] = next<std::tuple<int, uint64_t>>(p);
    if (received == static_cast<uint64_t>(t->pings_to[who].load()))
      ++exact;
  }
  CHECK(exact == actors);
  sys.await_all_actors_done();
  CHECK(sys.names().empty());
}

namespace {

/// An argument whose copy throws, as a copy that runs out of memory would.
struct copy_bomb {
  copy_bomb() = default;
  copy_bomb(const copy_bomb&) { throw std::runtime_error("copy_bomb copied"); }
  copy_bomb(copy_bomb&&) noexcept = default;
};

} // namespace

TEST_CASE("registry: a spawn_named whose actor cannot be constructed leaves the name free") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto body = [starts](troupe::co_actor& self, copy_bomb&) -> troupe::task {
    ++*starts;
    (void)co_await self.receive<int>();
  };
  copy_bomb bomb;
  CHECK_THROWS_AS(sys.spawn_named("fragile", body, bomb), std::runtime_error);
  CHECK(error_of(sys.lookup("fragile")) == make_error(error_code::unknown_name));
  CHECK(sys.names().empty());
  // The name was never bound, so it is free for the next actor.
  auto second = sys.spawn_named("fragile", body, copy_bomb{});
  REQUIRE(second);
  CHECK(resolves_to(sys, "fragile", *second));
  p->monitor(*second);
  REQUIRE(!sys.send("fragile", 1));
  CHECK(next_down(p, second->address()) == caf::exit_reason::normal);
  CHECK(starts->load() == 1);
}

TEST_CASE("registry: spawn_named from inside an actor names its child and reports each error") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto parent = sys.spawn(
    [](troupe::co_actor& self, caf::actor reporter) -> troupe::task {
      auto child = self.spawn_named("child", doubler);
      self.send(reporter, child ? *child : caf::actor{});
      self.send(reporter, error_of(self.spawn_named("child", doubler)));
      self.send(reporter, error_of(self.spawn_named("", doubler)));
      self.send(reporter, error_of(self.spawn_named("child@elsewhere:1", doubler)));
      auto body = [](troupe::co_actor& self, copy_bomb&) -> troupe::task {
        (void)co_await self.receive<int>();
      };
      copy_bomb bomb;
      bool threw = false;
      try {
        (void)self.spawn_named("fragile-child", body, bomb);
      } catch (const std::runtime_error&) {
        threw = true;
      }
      self.send(reporter, threw);
      self.send(reporter, error_of(self.spawn_named("fragile-child", body, copy_bomb{})));
      co_return;
    },
    p.handle());
  auto child = next<caf::actor>(p);
  REQUIRE(child);
  CHECK(resolves_to(sys, "child", child));
  CHECK(ask(p, child, 21) == 42);
  CHECK(next<caf::error>(p) == make_error(error_code::duplicate_name));
  CHECK(next<caf::error>(p) == make_error(error_code::invalid_name));
  CHECK(next<caf::error>(p) == make_error(error_code::invalid_name));
  CHECK(next<bool>(p));
  CHECK(next<caf::error>(p) == caf::error{}); // the name stayed free after the throw
  CHECK(sys.lookup("fragile-child"));
  sys.shutdown();
}

namespace {

/// Sends by name to "target" until a send fails, then `extra` more times; reports how many
/// succeeded and how many succeeded after the first failure (which must be none).
troupe::task racing_sender(troupe::co_actor& self, int extra, caf::actor reporter) {
  int succeeded = 0;
  int after_failure = 0;
  int failures = 0;
  while (failures <= extra) {
    if (self.send("target", 1)) {
      ++failures;
    } else if (failures > 0) {
      ++after_failure;
    } else {
      ++succeeded;
    }
    // Yield through the mailbox, so the target gets workers while the senders run.
    self.send(self.handle(), true);
    (void)co_await self.receive<bool>();
  }
  self.send(reporter, succeeded, after_failure);
}

} // namespace

TEST_CASE("registry: sends by name racing the target's exit fail from then on, never again succeed") {
  constexpr int senders = 6;
  constexpr int taken = 500;
  troupe::test::parallel_system sys;
  probe p{sys};
  auto target = sys.spawn_named(
    "target",
    [](troupe::co_actor& self) -> troupe::task {
      for (int i = 0; i < taken; ++i)
        (void)co_await self.receive<int>();
    });
  REQUIRE(target);
  p->monitor(*target);
  for (int i = 0; i < senders; ++i)
    sys.spawn(racing_sender, 20, p.handle());
  // A thread outside the pool races too, through system::send.
  std::atomic<int> thread_after_failure{0};
  std::thread outsider([&] {
    bool failed = false;
    for (int i = 0; i < 100'000 && !failed; ++i)
      failed = static_cast<bool>(sys.send("target", 1));
    for (int i = 0; i < 100 && failed; ++i)
      if (!sys.send("target", 1))
        ++thread_after_failure;
  });
  int after_failure = 0;
  for (int i = 0; i < senders; ++i)
    after_failure += std::get<1>(next<std::tuple<int, int>>(p));
  outsider.join();
  CHECK(after_failure == 0);
  CHECK(thread_after_failure.load() == 0);
  CHECK(next_down(p, target->address()) == caf::exit_reason::normal);
  CHECK(error_of(sys.lookup("target")) == make_error(error_code::unknown_name));
}
