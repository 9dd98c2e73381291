// The bounded buffer: FIFO order, backpressure, first come first served takes, close and
// drain, task_done and join, wait limits, redelivery after a taker dies, and many producers
// and consumers at once.

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <caf/all.hpp>

#include "actors_test_helpers.hpp"
#include "troupe/actors/bounded_buffer.hpp"
#include "troupe/system.hpp"
#include "troupe/testing/deterministic_system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::actors::actors_error;
using troupe::actors::bounded_buffer;
using troupe::actors::buffer_stats;
using troupe::test::call;
using troupe::test::call_for;
using troupe::test::is_error;
using troupe::test::next;
using troupe::test::probe;

namespace {

using buf = bounded_buffer;

bounded_buffer make_buffer(troupe::system& sys, size_t capacity) {
  auto result = bounded_buffer::spawn(sys, capacity);
  REQUIRE(result);
  return *result;
}

buffer_stats stats_of(probe& p, const bounded_buffer& b) {
  auto result = call_for<buffer_stats>(p, b.handle(), buf::stats_atom::value);
  REQUIRE(result);
  return *result;
}

caf::expected<int> take_int(probe& p, const bounded_buffer& b) {
  return call_for<int>(p, b.handle(), buf::take_atom::value);
}

/// Takes `count` ints without marking them done, reports them, then waits to be killed.
task hoarder(co_actor& self, bounded_buffer b, int count, caf::actor reporter) {
  std::vector<int> got;
  for (int i = 0; i < count; ++i) {
    auto x = co_await b.take<int>(self);
    if (!x)
      co_return;
    got.push_back(*x);
  }
  self.send(reporter, got);
  (void)co_await self.receive<bool>();
}

} // namespace

TEST_CASE("bounded_buffer: a capacity of zero is refused") {
  troupe::system sys;
  auto result = bounded_buffer::spawn(sys, 0);
  REQUIRE(!result);
  CHECK(is_error(result.error(), actors_error::invalid_argument));
}

TEST_CASE("bounded_buffer: items come out in the order they were put, of any type") {
  troupe::system sys;
  probe p{sys};
  auto b = make_buffer(sys, 10);
  for (int i = 0; i < 5; ++i)
    REQUIRE(call(p, b.handle(), buf::put_atom::value, i) == caf::none);
  REQUIRE(call(p, b.handle(), buf::put_atom::value, std::string{"five"}, 5) == caf::none);
  for (int i = 0; i < 5; ++i)
    CHECK(take_int(p, b) == i);
  std::string text;
  int number = 0;
  p->request(b.handle(), troupe::test::patience, buf::take_atom::value)
    .receive([&](std::string& x, int y) { std::tie(text, number) = std::tie(x, y); },
             [&](caf::error& err) { FAIL("take failed: " << caf::to_string(err)); });
  CHECK(text == "five");
  CHECK(number == 5);
  auto s = stats_of(p, b);
  CHECK(s.puts == 6);
  CHECK(s.takes == 6);
  CHECK(s.size == 0);
  CHECK(s.unfinished == 6);
}

TEST_CASE("bounded_buffer: a put into a full buffer waits until a take makes room") {
  troupe::system sys;
  probe p{sys};
  auto b = make_buffer(sys, 2);
  // Three puts in flight at once; the buffer handles one sender's messages in order.
  auto put1 = p->request(b.handle(), caf::infinite, buf::put_atom::value, 1);
  auto put2 = p->request(b.handle(), caf::infinite, buf::put_atom::value, 2);
  auto put3 = p->request(b.handle(), caf::infinite, buf::put_atom::value, 3);
  auto s = stats_of(p, b);
  CHECK(s.size == 2);
  CHECK(s.puts == 2);
  CHECK(s.put_waits == 1);
  int acked = 0;
  put1.receive([&] { ++acked; }, [](caf::error&) {});
  put2.receive([&] { ++acked; }, [](caf::error&) {});
  CHECK(acked == 2);
  CHECK(take_int(p, b) == 1);
  put3.receive([&] { ++acked; }, [](caf::error&) {});
  CHECK(acked == 3);
  CHECK(take_int(p, b) == 2);
  CHECK(take_int(p, b) == 3);
  s = stats_of(p, b);
  CHECK(s.high_water == 2);
  CHECK(s.puts == 3);
}

TEST_CASE("bounded_buffer: waiting takes are served first come, first served") {
  troupe::system sys;
  probe p{sys};
  auto b = make_buffer(sys, 4);
  auto take1 = p->request(b.handle(), caf::infinite, buf::take_atom::value);
  auto take2 = p->request(b.handle(), caf::infinite, buf::take_atom::value);
  auto take3 = p->request(b.handle(), caf::infinite, buf::take_atom::value);
  for (int x : {10, 20, 30})
    REQUIRE(call(p, b.handle(), buf::put_atom::value, x) == caf::none);
  std::vector<int> got;
  for (auto* h : {&take1, &take2, &take3})
    h->receive([&](int x) { got.push_back(x); }, [&](caf::error&) { got.push_back(-1); });
  CHECK(got == std::vector<int>{10, 20, 30});
  CHECK(stats_of(p, b).high_water <= 1);
}

TEST_CASE("bounded_buffer: after close, puts are refused and takes drain, then end") {
  troupe::system sys;
  probe p{sys};
  auto b = make_buffer(sys, 2);
  REQUIRE(call(p, b.handle(), buf::put_atom::value, 1) == caf::none);
  REQUIRE(call(p, b.handle(), buf::put_atom::value, 2) == caf::none);
  // A put waiting for room when the buffer closes was never accepted: it is refused.
  auto waiting_put = p->request(b.handle(), caf::infinite, buf::put_atom::value, 3);
  REQUIRE(call(p, b.handle(), buf::close_atom::value) == caf::none);
  caf::error waiting_put_result;
  waiting_put.receive([] {}, [&](caf::error& err) { waiting_put_result = err; });
  CHECK(is_error(waiting_put_result, actors_error::closed));
  CHECK(is_error(call(p, b.handle(), buf::put_atom::value, 4), actors_error::closed));
  CHECK(take_int(p, b) == 1);
  CHECK(take_int(p, b) == 2);
  auto end = take_int(p, b);
  REQUIRE(!end);
  CHECK(is_error(end.error(), actors_error::end_of_stream));
  auto s = stats_of(p, b);
  CHECK(s.closed);
  CHECK(s.puts == 2);
}

TEST_CASE("bounded_buffer: a take waiting on a closed buffer ends when the held items are done") {
  troupe::system sys;
  probe p{sys};
  auto b = make_buffer(sys, 2);
  REQUIRE(call(p, b.handle(), buf::put_atom::value, 1) == caf::none);
  // A coroutine takes the item and holds it; while it holds it, the item could come back,
  // so the probe's take waits instead of ending.
  auto holder = sys.spawn(hoarder, b, 1, p.handle());
  CHECK(next<std::vector<int>>(p) == std::vector<int>{1});
  REQUIRE(call(p, b.handle(), buf::close_atom::value) == caf::none);
  auto waiting_take = p->request(b.handle(), caf::infinite, buf::take_atom::value);
  // The holder dies: its item comes back and goes to the waiting take.
  caf::anon_send_exit(holder, caf::exit_reason::kill);
  int got = 0;
  waiting_take.receive([&](int x) { got = x; }, [](caf::error&) {});
  CHECK(got == 1);
  CHECK(stats_of(p, b).redelivered == 1);
  // Now the probe holds it; when the probe marks it done, nothing is left anywhere.
  REQUIRE(call(p, b.handle(), buf::task_done_atom::value) == caf::none);
  auto end = take_int(p, b);
  REQUIRE(!end);
  CHECK(is_error(end.error(), actors_error::end_of_stream));
}

TEST_CASE("bounded_buffer: join answers once every item put was taken and marked done") {
  troupe::system sys;
  probe p{sys};
  auto b = make_buffer(sys, 5);
  CHECK(call(p, b.handle(), buf::join_atom::value) == caf::none); // nothing put yet
  for (int i = 0; i < 3; ++i)
    REQUIRE(call(p, b.handle(), buf::put_atom::value, i) == caf::none);
  auto join = p->request(b.handle(), caf::infinite, buf::join_atom::value);
  for (int i = 0; i < 3; ++i)
    REQUIRE(take_int(p, b) == i);
  REQUIRE(call(p, b.handle(), buf::task_done_atom::value) == caf::none);
  REQUIRE(call(p, b.handle(), buf::task_done_atom::value) == caf::none);
  // Two of three are done: the join is still waiting.
  CHECK(stats_of(p, b).unfinished == 1);
  REQUIRE(call(p, b.handle(), buf::task_done_atom::value) == caf::none);
  bool joined = false;
  join.receive([&] { joined = true; }, [](caf::error&) {});
  CHECK(joined);
  // One task_done too many is an error and changes nothing.
  CHECK(is_error(call(p, b.handle(), buf::task_done_atom::value), actors_error::nothing_taken));
  CHECK(stats_of(p, b).unfinished == 0);
}

TEST_CASE("bounded_buffer: task_done from an actor that took nothing is refused") {
  troupe::system sys;
  probe p{sys};
  auto b = make_buffer(sys, 5);
  REQUIRE(call(p, b.handle(), buf::put_atom::value, 7) == caf::none);
  auto other = sys.spawn(
    [](co_actor& self, bounded_buffer b, caf::actor reporter) -> task {
      auto done = co_await b.task_done(self);
      self.send(reporter, done ? caf::error{} : done.error());
    },
    b, p.handle());
  CHECK(is_error(next<caf::error>(p), actors_error::nothing_taken));
  CHECK(stats_of(p, b).unfinished == 1);
}

TEST_CASE("bounded_buffer: takes and puts with a wait limit give up with timeout") {
  troupe::system sys;
  probe p{sys};
  auto b = make_buffer(sys, 1);
  auto take = call_for<int>(p, b.handle(), buf::take_within_atom::value, caf::timespan{5ms});
  REQUIRE(!take);
  CHECK(is_error(take.error(), actors_error::timeout));
  REQUIRE(call(p, b.handle(), buf::put_atom::value, 1) == caf::none);
  auto put = call(p, b.handle(), buf::put_within_atom::value, caf::timespan{5ms}, 2);
  CHECK(is_error(put, actors_error::timeout));
  // The refused item never entered the buffer.
  auto s = stats_of(p, b);
  CHECK(s.size == 1);
  CHECK(s.puts == 1);
  CHECK(take_int(p, b) == 1);
}

TEST_CASE("bounded_buffer: a put of one message stores its values as the item, within the limit") {
  troupe::system sys;
  probe p{sys};
  auto b = make_buffer(sys, 1);
  auto item = caf::make_message(std::string{"five"}, 5);
  REQUIRE(call(p, b.handle(), buf::put_message_atom::value, caf::timespan{1s}, item) == caf::none);
  std::tuple<std::string, int> got;
  p->request(b.handle(), troupe::test::patience, buf::take_atom::value)
    .receive([&](std::string& x, int y) { got = {x, y}; },
             [&](caf::error& err) { FAIL("take failed: " << caf::to_string(err)); });
  CHECK(got == std::tuple<std::string, int>{"five", 5});
  REQUIRE(call(p, b.handle(), buf::put_message_atom::value, caf::timespan{1s},
               caf::make_message(1)) == caf::none);
  auto full = call(p, b.handle(), buf::put_message_atom::value, caf::timespan{5ms},
                   caf::make_message(2));
  CHECK(is_error(full, actors_error::timeout));
  CHECK(call(p, b.handle(), buf::put_message_atom::value, caf::make_message(3)) ==
        caf::sec::unexpected_message); // no wait limit: not this request
  auto s = stats_of(p, b);
  CHECK(s.size == 1);
  CHECK(s.puts == 2);
  CHECK(take_int(p, b) == 1);
}

namespace {

/// Takes one int within `limit`, marks it done (so that it does not come back when this actor
/// ends), and reports `(limit in ms, the int or -1 after a timeout)`.
task timed_taker(co_actor& self, bounded_buffer b, int limit_ms, caf::actor out) {
  auto x = co_await b.take<int>(self, std::chrono::milliseconds{limit_ms});
  if (x)
    (void)co_await b.task_done(self);
  self.send(out, limit_ms, x ? *x : -1);
}

/// Puts `item` within `limit` and reports `(item, 0 or -1 after a timeout)`.
task timed_putter(co_actor& self, bounded_buffer b, int item, caf::timespan limit,
                  caf::actor out) {
  auto done = co_await b.put(self, item, limit);
  self.send(out, item, done ? 0 : -1);
}

} // namespace

TEST_CASE("bounded_buffer: waiting takes and puts time out each at its own limit, in virtual time") {
  troupe::testing::deterministic_system sys;
  auto out = sys.sink();
  auto b = make_buffer(sys, 1);
  // Three takes wait on the empty buffer, their limits unlike their order.
  for (int ms : {30, 10, 20})
    sys.spawn(timed_taker, b, ms, out);
  sys.run();
  using report = std::tuple<int, int>;
  sys.advance_time(9ms);
  sys.run();
  CHECK(sys.received_of<report>(out).empty());
  sys.advance_time(1ms);
  sys.run();
  CHECK(sys.received_of<report>(out) == std::vector<report>{{10, -1}});
  sys.advance_time(10ms);
  sys.run();
  CHECK(sys.received_of<report>(out) == std::vector<report>{{10, -1}, {20, -1}});
  // The take that still waits gets the next item.
  sys.spawn(timed_putter, b, 5, caf::timespan{1h}, out);
  sys.run();
  // The put is acknowledged before the item moves on (as asyncio's put returns first).
  CHECK(sys.received_of<report>(out) ==
        std::vector<report>{{10, -1}, {20, -1}, {5, 0}, {30, 5}});
  // Puts into a full buffer: one gives up after 10 ms, the other keeps its place.
  sys.spawn(timed_putter, b, 6, caf::timespan{1h}, out);
  sys.run();
  sys.spawn(timed_putter, b, 7, caf::timespan{10ms}, out);
  sys.run();
  sys.spawn(timed_putter, b, 8, caf::timespan{1h}, out);
  sys.run();
  sys.advance_time(10ms);
  sys.run();
  auto got = sys.received_of<report>(out);
  CHECK(got == std::vector<report>{{10, -1}, {20, -1}, {5, 0}, {30, 5}, {6, 0}, {7, -1}});
  for (int want : {6, 8}) {
    sys.spawn(timed_taker, b, 1000, out);
    sys.run();
    CHECK(sys.received_of<report>(out).back() == report{1000, want});
  }
  CHECK(sys.received_of<report>(out).size() == 9); // 8 went in once 6 was taken
}

TEST_CASE("bounded_buffer: a request it does not know is answered with an error") {
  troupe::system sys;
  probe p{sys};
  auto b = make_buffer(sys, 1);
  CHECK(call(p, b.handle(), std::string{"bogus"}) == caf::sec::unexpected_message);
  CHECK(call(p, b.handle(), buf::put_within_atom::value, 3) == caf::sec::unexpected_message);
  CHECK(stats_of(p, b).puts == 0);
}

TEST_CASE("bounded_buffer: items held by a killed taker are all redelivered, in order") {
  troupe::test::parallel_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  auto b = make_buffer(sys, 10);
  for (int i = 1; i <= 5; ++i)
    REQUIRE(call(p, b.handle(), buf::put_atom::value, i) == caf::none);
  auto holder = sys.spawn(hoarder, b, 3, p.handle());
  CHECK(next<std::vector<int>>(p) == std::vector<int>{1, 2, 3});
  CHECK(take_int(p, b) == 4);
  CHECK(take_int(p, b) == 5);
  // Three takes wait on the empty buffer; the killed holder's items go to them in order.
  auto take1 = p->request(b.handle(), caf::infinite, buf::take_atom::value);
  auto take2 = p->request(b.handle(), caf::infinite, buf::take_atom::value);
  auto take3 = p->request(b.handle(), caf::infinite, buf::take_atom::value);
  caf::anon_send_exit(holder, caf::exit_reason::kill);
  std::vector<int> got;
  for (auto* h : {&take1, &take2, &take3})
    h->receive([&](int x) { got.push_back(x); }, [&](caf::error&) { got.push_back(-1); });
  CHECK(got == std::vector<int>{1, 2, 3});
  auto s = stats_of(p, b);
  CHECK(s.redelivered == 3);
  CHECK(s.takes == 8);
  CHECK(s.unfinished == 5);
}

namespace {

constexpr int producers = 40;
constexpr int items_each = 1000;
constexpr int consumers = 40;
constexpr size_t capacity = 50;

/// Puts its share of the items, then reports its number.
task producer(co_actor& self, bounded_buffer b, int me, caf::actor reporter) {
  for (int i = 0; i < items_each; ++i) {
    if (auto put = co_await b.put(self, me * items_each + i); !put) {
      self.send(reporter, std::string{"put failed: "} + caf::to_string(put.error()));
      co_return;
    }
  }
  self.send(reporter, me);
}

/// Takes items and marks each done until the stream ends, then reports all it took.
task consumer(co_actor& self, bounded_buffer b, caf::actor reporter) {
  std::vector<int> got;
  for (;;) {
    auto x = co_await b.take<int>(self);
    if (!x) {
      if (!is_error(x.error(), actors_error::end_of_stream))
        self.send(reporter, std::string{"take failed: "} + caf::to_string(x.error()));
      break;
    }
    got.push_back(*x);
    (void)co_await b.task_done(self);
  }
  self.send(reporter, got);
}

} // namespace

TEST_CASE("bounded_buffer: 40 producers x 1000 items, 40 consumers, capacity 50: each item "
          "taken exactly once, never more than capacity held, producers wait") {
  troupe::test::parallel_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  auto b = make_buffer(sys, capacity);
  for (int c = 0; c < consumers; ++c)
    sys.spawn(consumer, b, p.handle());
  for (int i = 0; i < producers; ++i)
    sys.spawn(producer, b, i, p.handle());
  std::vector<std::string> failures;
  int finished = 0;
  while (finished < producers) {
    p->receive([&](int) { ++finished; }, [&](std::string& x) { failures.push_back(x); },
               caf::after(std::chrono::seconds{60}) >> [&] { failures.push_back("stuck"); });
    if (!failures.empty())
      break;
  }
  REQUIRE(failures.empty());
  // Every item was accepted; join answers once the consumers marked all of them done.
  bool joined = false;
  p->request(b.handle(), std::chrono::seconds{60}, buf::join_atom::value)
    .receive([&] { joined = true; }, [](caf::error&) {});
  CHECK(joined);
  REQUIRE(call(p, b.handle(), buf::close_atom::value) == caf::none);
  std::vector<int> seen(producers * items_each, 0);
  uint64_t sum = 0;
  for (int c = 0; c < consumers; ++c) {
    auto got = next<std::vector<int>>(p);
    for (int x : got) {
      REQUIRE(x >= 0);
      REQUIRE(x < producers * items_each);
      ++seen[x];
      sum += static_cast<uint64_t>(x);
    }
  }
  CHECK(std::count(seen.begin(), seen.end(), 1) == producers * items_each);
  const uint64_t n = producers * items_each;
  CHECK(sum == n * (n - 1) / 2);
  auto s = stats_of(p, b);
  CHECK(s.puts == n);
  CHECK(s.takes == n);
  CHECK(s.redelivered == 0);
  CHECK(s.unfinished == 0);
  CHECK(s.high_water <= capacity);
  CHECK(s.high_water >= 1);
  CHECK(s.put_waits > 0); // producers outran consumers and were held back
  MESSAGE("high-water mark " << s.high_water << ", puts that waited " << s.put_waits);
}
