// Each pattern actor under 100 seeded interleavings (troupe::testing::explore): its clients
// report what they do to one sink, in causal order, and each scenario checks the pattern's
// invariant over that log. A failing seed is named for replay (TROUPE_SEED=n).

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <caf/all.hpp>

#include <doctest/doctest.h>

#include "troupe/actors.hpp"
#include "troupe/testing/explore.hpp"

using troupe::co_actor;
using troupe::task;
using troupe::testing::deterministic_system;
using troupe::testing::explore;
using troupe::testing::verdict;
namespace ta = troupe::actors;

namespace {

constexpr uint64_t seeds = 100;

/// One line of a scenario's log: what happened, to whom, with which value.
using event = std::tuple<std::string, int, int>;

/// Lets other actors run before this one goes on (a message to itself, taken back).
auto yield(co_actor& self) {
  self.send(self.handle(), true);
  return self.receive<bool>();
}

/// Runs `scenario`'s actors until idle and returns the sink's log.
std::vector<event> log_of(deterministic_system& sys, const caf::actor& out) {
  sys.run();
  return sys.received_of<event>(out);
}

/// "<what> failed: <error>" for a client that met an error where none may be.
verdict failed(const std::string& what, const caf::error& err) {
  return what + " failed: " + caf::to_string(err);
}

/// The first error among the log's "error" lines, as a verdict.
verdict errors_in(const std::vector<event>& log) {
  for (auto& [what, who, value] : log)
    if (what == "error")
      return "client " + std::to_string(who) + " met error step " + std::to_string(value);
  return {};
}

// -- semaphore --------------------------------------------------------------------------------

task semaphore_client(co_actor& self, ta::semaphore sem, int id, caf::actor out) {
  for (int round = 0; round < 2; ++round) {
    auto acquired = co_await sem.acquire(self);
    if (!acquired) {
      self.send(out, std::string{"error"}, id, 1);
      co_return;
    }
    self.send(out, std::string{"in"}, id, round);
    co_await yield(self);
    self.send(out, std::string{"out"}, id, round);
    auto released = co_await sem.release(self);
    if (!released)
      self.send(out, std::string{"error"}, id, 2);
  }
}

verdict semaphore_scenario(deterministic_system& sys) {
  constexpr int permits = 2;
  constexpr int clients = 5;
  auto sem = ta::semaphore::spawn(sys, permits);
  if (!sem)
    return failed("spawn", sem.error());
  auto out = sys.sink();
  for (int i = 0; i < clients; ++i)
    sys.spawn(semaphore_client, *sem, i, out);
  auto log = log_of(sys, out);
  if (auto v = errors_in(log); !v.empty())
    return v;
  int holders = 0;
  int entries = 0;
  for (auto& [what, who, value] : log) {
    holders += what == "in" ? 1 : -1;
    entries += what == "in" ? 1 : 0;
    if (holders > permits)
      return "client " + std::to_string(who) + " entered while " + std::to_string(permits) +
             " held permits";
  }
  if (entries != clients * 2 || holders != 0)
    return std::to_string(entries) + " of " + std::to_string(clients * 2) + " entries";
  return {};
}

// -- bounded_buffer ---------------------------------------------------------------------------

task producer(co_actor& self, ta::bounded_buffer buf, int id, int items, caf::actor out) {
  for (int i = 0; i < items; ++i) {
    auto stored = co_await buf.put(self, id * 100 + i);
    if (!stored) {
      self.send(out, std::string{"error"}, id, i);
      co_return;
    }
  }
}

task consumer(co_actor& self, ta::bounded_buffer buf, int id, int items, caf::actor out) {
  for (int i = 0; i < items; ++i) {
    auto x = co_await buf.take<int>(self);
    if (!x) {
      self.send(out, std::string{"error"}, 100 + id, i);
      co_return;
    }
    self.send(out, std::string{"took"}, id, *x);
    auto done = co_await buf.task_done(self);
    if (!done)
      self.send(out, std::string{"error"}, 100 + id, items + i);
  }
}

verdict bounded_buffer_scenario(deterministic_system& sys) {
  constexpr int producers = 2;
  constexpr int consumers = 2;
  constexpr int items = 10; // per producer; each consumer takes producers * items / consumers
  constexpr size_t capacity = 2;
  auto buf = ta::bounded_buffer::spawn(sys, capacity);
  if (!buf)
    return failed("spawn", buf.error());
  auto out = sys.sink();
  for (int p = 0; p < producers; ++p)
    sys.spawn(producer, *buf, p, items, out);
  for (int c = 0; c < consumers; ++c)
    sys.spawn(consumer, *buf, c, producers * items / consumers, out);
  auto log = log_of(sys, out);
  if (auto v = errors_in(log); !v.empty())
    return v;
  std::multiset<int> taken;
  std::map<std::pair<int, int>, int> last; // (consumer, producer) -> last item seen
  for (auto& [what, who, item] : log) {
    taken.insert(item);
    auto key = std::pair{who, item / 100};
    if (auto i = last.find(key); i != last.end() && i->second >= item)
      return "consumer " + std::to_string(who) + " took " + std::to_string(item) + " after " +
             std::to_string(i->second) + ": not FIFO";
    last[key] = item;
  }
  std::multiset<int> put;
  for (int p = 0; p < producers; ++p)
    for (int i = 0; i < items; ++i)
      put.insert(p * 100 + i);
  if (taken != put)
    return "took " + std::to_string(taken.size()) + " items, not each put item once";
  return {};
}

// -- barrier ----------------------------------------------------------------------------------

task barrier_party(co_actor& self, ta::barrier bar, int id, int rounds, caf::actor out) {
  for (int round = 0; round < rounds; ++round) {
    self.send(out, std::string{"arrive"}, id, round);
    auto index = co_await bar.arrive_and_wait(self);
    if (!index) {
      self.send(out, std::string{"error"}, id, round);
      co_return;
    }
    self.send(out, std::string{"pass"}, id, round * 100 + *index);
  }
}

verdict barrier_scenario(deterministic_system& sys) {
  constexpr int parties = 3;
  constexpr int rounds = 2;
  auto bar = ta::barrier::spawn(sys, parties);
  if (!bar)
    return failed("spawn", bar.error());
  auto out = sys.sink();
  for (int i = 0; i < parties; ++i)
    sys.spawn(barrier_party, *bar, i, rounds, out);
  auto log = log_of(sys, out);
  if (auto v = errors_in(log); !v.empty())
    return v;
  std::vector<int> arrived(rounds, 0);
  std::vector<std::set<int>> indices(rounds);
  for (auto& [what, who, value] : log) {
    if (what == "arrive") {
      ++arrived[value];
      continue;
    }
    auto round = value / 100;
    if (arrived[round] != parties)
      return "party " + std::to_string(who) + " passed round " + std::to_string(round) +
             " after only " + std::to_string(arrived[round]) + " arrivals";
    indices[round].insert(value % 100);
  }
  for (int r = 0; r < rounds; ++r)
    if (indices[r] != std::set<int>{0, 1, 2})
      return "round " + std::to_string(r) + "'s arrival indices are not 0, 1, 2";
  return {};
}

// -- event ------------------------------------------------------------------------------------

task event_waiter(co_actor& self, ta::event ev, int id, caf::actor out) {
  auto woke = co_await ev.wait(self);
  if (!woke) {
    self.send(out, std::string{"error"}, id, 0);
    co_return;
  }
  self.send(out, std::string{"woke"}, id, 0);
}

task event_setter(co_actor& self, ta::event ev, caf::actor out) {
  co_await yield(self);
  self.send(out, std::string{"set"}, -1, 0);
  auto was_set = co_await ev.set(self);
  if (!was_set)
    self.send(out, std::string{"error"}, -1, 0);
}

verdict event_scenario(deterministic_system& sys) {
  constexpr int waiters = 3;
  auto ev = ta::event::spawn(sys);
  auto out = sys.sink();
  for (int i = 0; i < waiters; ++i)
    sys.spawn(event_waiter, ev, i, out);
  sys.spawn(event_setter, ev, out);
  auto log = log_of(sys, out);
  if (auto v = errors_in(log); !v.empty())
    return v;
  bool set = false;
  int woke = 0;
  for (auto& [what, who, value] : log) {
    if (what == "set")
      set = true;
    else if (!set)
      return "waiter " + std::to_string(who) + " woke before the event was set";
    else
      ++woke;
  }
  if (woke != waiters)
    return std::to_string(woke) + " of " + std::to_string(waiters) + " waiters woke";
  return {};
}

// -- rw_guard ---------------------------------------------------------------------------------

task rw_client(co_actor& self, ta::rw_guard guard, int id, bool write, caf::actor out) {
  // Not `write ? co_await ... : co_await ...`: one co_await per statement (GCC 12).
  caf::expected<void> acquired{caf::unit};
  if (write)
    acquired = co_await guard.acquire_write(self, "table");
  else
    acquired = co_await guard.acquire_read(self, "table");
  if (!acquired) {
    self.send(out, std::string{"error"}, id, 1);
    co_return;
  }
  self.send(out, std::string{write ? "write" : "read"}, id, 1);
  co_await yield(self);
  self.send(out, std::string{write ? "write" : "read"}, id, -1);
  auto released = co_await guard.release(self, "table");
  if (!released)
    self.send(out, std::string{"error"}, id, 2);
}

verdict rw_guard_scenario(deterministic_system& sys) {
  auto guard = ta::rw_guard::spawn(sys, ta::rw_policy::fair);
  if (!guard)
    return failed("spawn", guard.error());
  auto out = sys.sink();
  for (int i = 0; i < 6; ++i)
    sys.spawn(rw_client, *guard, i, i % 3 == 0, out); // two writers, four readers
  auto log = log_of(sys, out);
  if (auto v = errors_in(log); !v.empty())
    return v;
  int readers = 0;
  int writers = 0;
  int leases = 0;
  for (auto& [what, who, delta] : log) {
    (what == "write" ? writers : readers) += delta;
    leases += delta > 0 ? 1 : 0;
    if (writers > 1 || (writers == 1 && readers > 0))
      return "client " + std::to_string(who) + " shares the table with a writer";
  }
  if (leases != 6)
    return std::to_string(leases) + " of 6 leases granted";
  return {};
}

// -- banker -----------------------------------------------------------------------------------

task banker_client(co_actor& self, ta::banker bank, int id, caf::actor out) {
  // Named vectors, not braced lists in the co_await: GCC 12 miscompiles those in coroutines.
  const ta::resource_vector claim(1, 2);
  const ta::resource_vector one(1, 1);
  auto claimed = co_await bank.claim(self, claim);
  if (!claimed) {
    self.send(out, std::string{"error"}, id, 0);
    co_return;
  }
  for (int step = 0; step < 2; ++step) {
    auto granted = co_await bank.request(self, one);
    if (!granted) {
      self.send(out, std::string{"error"}, id, 1);
      co_return;
    }
    self.send(out, std::string{"got"}, id, 1);
    co_await yield(self);
  }
  self.send(out, std::string{"gave"}, id, -2);
  auto left = co_await bank.leave(self);
  if (!left)
    self.send(out, std::string{"error"}, id, 2);
}

verdict banker_scenario(deterministic_system& sys) {
  // Three clients that each need 2 of 3 units, one at a time: granting each its first unit
  // would deadlock them all; the banker must keep one client able to finish.
  constexpr int clients = 3;
  auto bank = ta::banker::spawn(sys, ta::resource_vector(1, 3));
  if (!bank)
    return failed("spawn", bank.error());
  auto out = sys.sink();
  for (int i = 0; i < clients; ++i)
    sys.spawn(banker_client, *bank, i, out);
  auto log = log_of(sys, out);
  if (auto v = errors_in(log); !v.empty())
    return v;
  int held = 0;
  int finished = 0;
  for (auto& [what, who, delta] : log) {
    held += delta;
    finished += what == "gave" ? 1 : 0;
    if (held > 3)
      return "client " + std::to_string(who) + " got a unit beyond the total";
  }
  if (finished != clients)
    return std::to_string(finished) + " of " + std::to_string(clients) +
           " clients finished (deadlock?)";
  return {};
}

} // namespace

TEST_CASE("semaphore: under 100 seeds it never admits more holders than permits") {
  auto result = explore(seeds, semaphore_scenario);
  CHECK_MESSAGE(result.passed(), result.report());
  CHECK(result.runs == seeds);
}

TEST_CASE("bounded_buffer: under 100 seeds it hands each item out once, in FIFO order") {
  auto result = explore(seeds, bounded_buffer_scenario);
  CHECK_MESSAGE(result.passed(), result.report());
  CHECK(result.runs == seeds);
}

TEST_CASE("barrier: under 100 seeds no party passes before all arrived, round after round") {
  auto result = explore(seeds, barrier_scenario);
  CHECK_MESSAGE(result.passed(), result.report());
  CHECK(result.runs == seeds);
}

TEST_CASE("event: under 100 seeds it wakes every waiter, and none before it is set") {
  auto result = explore(seeds, event_scenario);
  CHECK_MESSAGE(result.passed(), result.report());
  CHECK(result.runs == seeds);
}

TEST_CASE("rw_guard: under 100 seeds a writer never shares the resource") {
  auto result = explore(seeds, rw_guard_scenario);
  CHECK_MESSAGE(result.passed(), result.report());
  CHECK(result.runs == seeds);
}

TEST_CASE("banker: under 100 seeds it grants no unit beyond its total and every client finishes") {
  auto result = explore(seeds, banker_scenario);
  CHECK_MESSAGE(result.passed(), result.report());
  CHECK(result.runs == seeds);
}
