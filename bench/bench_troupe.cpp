/// bench_troupe: the benchmark cases written as troupe coroutine actors.
///
/// Runs one case once (`--case=NAME`, sizes as options, CAF's `--scheduler.*` options too) on a
/// `troupe::system` with troupe's defaults and prints one JSON line. bench_caf.cpp has the same
/// cases as plain CAF behaviours; bench/README.md describes them.

#include <algorithm>
#include <cstdint>
#include <string>

#include <troupe/actors/bounded_buffer.hpp>
#include <troupe/actors/rw_guard.hpp>
#include <troupe/troupe.hpp>

#include "harness.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;

// -- counter: the ActorScheduler of the Python generator example -----------------------------

/// say_hello / say_hi: counts what it gets; -1 ends it and reports the count to main.
task greeter(co_actor& self, caf::actor main, int tag) {
  int64_t count = 0;
  for (;;) {
    auto n = co_await self.receive<int>();
    if (n < 0)
      break;
    ++count;
  }
  self.send(main, tag, count);
}

/// counter: n > 0 goes to say_hello, say_hi and (as n - 1) back to itself, all by name.
task counter(co_actor& self, caf::actor main) {
  int64_t count = 0;
  for (;;) {
    auto n = co_await self.receive<int>();
    ++count;
    if (n == 0)
      break;
    (void)self.send("say_hello", n);
    (void)self.send("say_hi", n);
    (void)self.send("counter", n - 1);
  }
  (void)self.send("say_hello", -1);
  (void)self.send("say_hi", -1);
  self.send(main, 0, count);
}

/// counter as above, but it looks the names up once and sends to handles: with `--by-handle`,
/// the difference to `counter` is the cost of sending by name.
task counter_by_handle(co_actor& self, caf::actor main) {
  auto hello = self.lookup("say_hello");
  auto hi = self.lookup("say_hi");
  auto me = self.handle();
  int64_t count = 0;
  for (;;) {
    auto n = co_await self.receive<int>();
    ++count;
    if (n == 0)
      break;
    self.send(hello, n);
    self.send(hi, n);
    self.send(me, n - 1);
  }
  self.send(hello, -1);
  self.send(hi, -1);
  self.send(main, 0, count);
}

bench::result run_counter(troupe::system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "msgs/s";
  auto n = static_cast<int>(opts.n);
  caf::scoped_actor main{sys.engine()};
  auto me = caf::actor{main};
  for (auto name : {"say_hello", "say_hi"})
    if (!sys.spawn_named(name, greeter, me, name == std::string_view{"say_hello"} ? 1 : 2)) {
      res.error = std::string{"cannot spawn "} + name;
      return res;
    }
  if (!sys.spawn_named("counter", opts.by_handle ? counter_by_handle : counter, me)) {
    res.error = "cannot spawn counter";
    return res;
  }
  bench::stopwatch clock;
  (void)sys.send("counter", n);
  auto got = bench::await_reports(main, 3, clock, opts, res);
  clock.stop(res);
  res.units = 3.0 * n + 1;
  if (res.timed_out)
    return res;
  bench::expect_equal(res, "counter", got[0], int64_t{n} + 1);
  bench::expect_equal(res, "say_hello", got[1], n);
  bench::expect_equal(res, "say_hi", got[2], n);
  return res;
}

// -- pingpong ---------------------------------------------------------------------------------

/// pong: answers x with x + 1 to the sender; -1 ends it.
task pong(co_actor& self) {
  for (;;) {
    auto x = co_await self.receive<int>();
    if (x < 0)
      co_return;
    self.send(caf::actor_cast<caf::actor>(self.sender()), x + 1);
  }
}

/// ping: n round trips with pong, checking every answer; reports the good ones to main.
task ping(co_actor& self, caf::actor main, caf::actor partner, int n) {
  int64_t good = 0;
  for (int i = 0; i < n; ++i) {
    self.send(partner, i);
    if (co_await self.receive<int>() == i + 1)
      ++good;
  }
  self.send(partner, -1);
  self.send(main, 0, good);
}

bench::result run_pingpong(troupe::system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "round trips/s";
  auto n = static_cast<int>(opts.n);
  caf::scoped_actor main{sys.engine()};
  bench::stopwatch clock;
  auto partner = sys.spawn(pong);
  sys.spawn(ping, caf::actor{main}, partner, n);
  auto got = bench::await_reports(main, 1, clock, opts, res);
  clock.stop(res);
  res.units = n;
  if (!res.timed_out)
    bench::expect_equal(res, "round_trips", got[0], n);
  return res;
}

// -- spawn ------------------------------------------------------------------------------------

/// A spawned actor: takes one number and passes it to the collector, then ends.
task worker(co_actor& self, caf::actor collector) {
  auto x = co_await self.receive<int>();
  self.send(collector, x);
}

/// Takes n numbers from the workers; reports how many distinct ones came, and their sum.
task collector(co_actor& self, caf::actor main, int n) {
  int64_t sum = 0;
  bench::id_set ids{n};
  for (int i = 0; i < n; ++i) {
    auto x = co_await self.receive<int>();
    sum += x;
    ids.add(x);
  }
  self.send(main, 0, ids.distinct());
  self.send(main, 1, sum);
}

/// Spawns n workers, `batch` per turn, and sends each its number; between batches it mails
/// itself, so that the workers it spawned get to run.
task spawner(co_actor& self, caf::actor sink, int n, int batch) {
  int next = 0;
  while (next < n) {
    auto end = std::min(n, next + batch);
    for (; next < end; ++next)
      self.send(self.spawn(worker, sink), next);
    if (next < n) {
      self.send(self.handle(), -1);
      (void)co_await self.receive<int>();
    }
  }
}

bench::result run_spawn(troupe::system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "actors/s";
  auto n = static_cast<int>(opts.n);
  caf::scoped_actor main{sys.engine()};
  bench::stopwatch clock;
  auto sink = sys.spawn(collector, caf::actor{main}, n);
  sys.spawn(spawner, sink, n, static_cast<int>(opts.batch));
  auto got = bench::await_reports(main, 2, clock, opts, res);
  clock.stop(res);
  res.units = n;
  if (res.timed_out)
    return res;
  bench::expect_equal(res, "workers", got[0], n);
  bench::expect_equal(res, "sum", got[1], int64_t{n} * (n - 1) / 2);
  return res;
}

// -- skynet -----------------------------------------------------------------------------------

/// A node of the tree: a leaf sends its number to its parent; an inner node spawns `width`
/// children on its own worker and sends the sum of their answers to its parent.
task skynet(co_actor& self, caf::actor parent, int64_t num, int64_t size, int width) {
  if (size == 1) {
    self.send(parent, num);
    co_return;
  }
  auto sub = size / width;
  for (int i = 0; i < width; ++i)
    self.spawn(skynet, self.handle(), num + i * sub, sub, width);
  int64_t sum = 0;
  for (int i = 0; i < width; ++i)
    sum += co_await self.receive<int64_t>();
  self.send(parent, sum);
}

bench::result run_skynet(troupe::system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "actors/s";
  auto leaves = bench::skynet_leaves(opts.width, opts.depth);
  caf::scoped_actor main{sys.engine()};
  bench::stopwatch clock;
  sys.spawn(skynet, caf::actor{main}, int64_t{0}, leaves, static_cast<int>(opts.width));
  int64_t sum = -1;
  main->receive([&](int64_t x) { sum = x; },
                caf::after(std::chrono::seconds(opts.timeout)) >> [&] { res.timed_out = true; });
  clock.stop(res);
  res.units = static_cast<double>(bench::skynet_actors(opts.width, opts.depth));
  if (res.timed_out) {
    res.error = "no result within " + std::to_string(opts.timeout) + " s";
    return res;
  }
  bench::expect_equal(res, "sum", sum, bench::skynet_sum(leaves));
  return res;
}

// -- selective receive ------------------------------------------------------------------------

/// Receives n ints while n strings wait in its stash, reports their sum; then receives the
/// strings and reports how many arrived intact.
task selective(co_actor& self, caf::actor main, int n, std::string text) {
  int64_t sum = 0;
  for (int i = 0; i < n; ++i)
    sum += co_await self.receive<int>();
  self.send(main, 1, sum);
  int64_t intact = 0;
  for (int i = 0; i < n; ++i)
    if (co_await self.receive<std::string>() == text)
      ++intact;
  self.send(main, 2, intact);
}

bench::result run_selective(troupe::system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "receives/s";
  auto n = static_cast<int>(opts.n);
  const std::string text = "not an int";
  caf::scoped_actor main{sys.engine()};
  auto receiver = sys.spawn(selective, caf::actor{main}, n, text);
  bench::stopwatch clock;
  for (int i = 0; i < n; ++i)
    main->send(receiver, text);
  for (int i = 0; i < n; ++i)
    main->send(receiver, i);
  auto sum = bench::await_reports(main, 1, clock, opts, res);
  clock.stop(res);
  res.units = n;
  if (res.timed_out)
    return res;
  auto intact = bench::await_reports(main, 1, clock, opts, res);
  if (res.timed_out)
    return res;
  bench::expect_equal(res, "sum", sum[1], int64_t{n} * (n - 1) / 2);
  bench::expect_equal(res, "strings", intact[2], n);
  return res;
}

// -- buffer: producers and consumers on a troupe::actors::bounded_buffer ----------------------

using troupe::actors::bounded_buffer;

/// Puts n items (me * n + i), then reports to main.
task buffer_producer(co_actor& self, bounded_buffer q, caf::actor main, int me, int n) {
  for (int i = 0; i < n; ++i)
    if (!co_await q.put(self, int64_t{me} * n + i, 10min))
      break;
  self.send(main, bench::buffer_producer_tag(me), int64_t{0});
}

/// Takes items and marks each done until the stream ends; reports their sum and count.
task buffer_consumer(co_actor& self, bounded_buffer q, caf::actor main, int me) {
  int64_t sum = 0;
  int64_t count = 0;
  for (;;) {
    auto x = co_await q.take<int64_t>(self, 10min);
    if (!x)
      break;
    sum += *x;
    ++count;
    // Not awaited, as bench_caf's consumer and asyncio's q.task_done() do not wait either.
    self.send(q.handle(), bounded_buffer::task_done_atom::value);
  }
  self.send(main, bench::buffer_sum_tag(me), sum);
  self.send(main, bench::buffer_count_tag(me), count);
}

bench::result run_buffer(troupe::system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "items/s";
  auto n = static_cast<int>(opts.n);
  auto q = bounded_buffer::spawn(sys, bench::buffer_capacity);
  if (!q) {
    res.error = "cannot spawn the buffer";
    return res;
  }
  caf::scoped_actor main{sys.engine()};
  bench::stopwatch clock;
  for (int c = 0; c < bench::buffer_consumers; ++c)
    sys.spawn(buffer_consumer, *q, caf::actor{main}, c);
  for (int p = 0; p < bench::buffer_producers; ++p)
    sys.spawn(buffer_producer, *q, caf::actor{main}, p, n);
  bench::await_reports(main, bench::buffer_producers, clock, opts, res);
  if (res.timed_out)
    return res;
  main->send(q->handle(), bounded_buffer::close_atom::value);
  auto got = bench::await_reports(main, 2 * bench::buffer_consumers, clock, opts, res);
  clock.stop(res);
  res.units = static_cast<double>(bench::buffer_producers) * n;
  if (!res.timed_out)
    bench::check_buffer(res, got, n);
  return res;
}

// -- rw: clients of a dictionary behind a troupe::actors::rw_guard ----------------------------

using troupe::actors::rw_guard;

/// Does n operations on the dictionary, each under a lease of the guard (released without
/// waiting, as bench_caf's client does); reports its reads and writes.
task rw_client(co_actor& self, rw_guard guard, bench::rw_dict* dict, caf::actor main, int me,
               int n) {
  bench::rw_ops ops{me};
  int64_t reads = 0;
  int64_t writes = 0;
  for (int i = 0; i < n; ++i) {
    auto op = ops.next();
    auto lease = op.write ? co_await guard.acquire_write(self, bench::rw_resource, 10min)
                          : co_await guard.acquire_read(self, bench::rw_resource, 10min);
    if (!lease)
      break;
    if (op.write) {
      dict->write(op.key);
      ++writes;
    } else {
      (void)dict->read(op.key);
      ++reads;
    }
    self.send(guard.handle(), rw_guard::release_atom::value, std::string{bench::rw_resource});
  }
  self.send(main, bench::rw_reads_tag(me), reads);
  self.send(main, bench::rw_writes_tag(me), writes);
}

bench::result run_rw(troupe::system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "ops/s";
  auto n = static_cast<int>(opts.n);
  auto guard = rw_guard::spawn(sys, troupe::actors::rw_policy::fair);
  if (!guard) {
    res.error = "cannot spawn the guard";
    return res;
  }
  bench::rw_dict dict;
  caf::scoped_actor main{sys.engine()};
  bench::stopwatch clock;
  for (int c = 0; c < bench::rw_clients; ++c)
    sys.spawn(rw_client, *guard, &dict, caf::actor{main}, c, n);
  auto got = bench::await_reports(main, 2 * bench::rw_clients, clock, opts, res);
  clock.stop(res);
  res.units = static_cast<double>(bench::rw_clients) * n;
  if (!res.timed_out)
    bench::check_rw(res, got, dict, n);
  return res;
}

bench::result run(troupe::system& sys, const bench::options& opts) {
  return bench::run_case<troupe::system>(sys, opts,
                                         {{"counter", run_counter},
                                          {"pingpong", run_pingpong},
                                          {"spawn", run_spawn},
                                          {"skynet", run_skynet},
                                          {"selective", run_selective},
                                          {"buffer", run_buffer},
                                          {"rw", run_rw}});
}

} // namespace

int main(int argc, char** argv) {
  bench::config<troupe::config> cfg;
  int code = 0;
  if (!bench::parse(cfg, argc, argv, code))
    return code;
  troupe::system sys{cfg};
  auto res = run(sys, cfg.opts);
  code = bench::report("troupe", cfg.opts, sys.engine(), res);
  if (res.timed_out)
    std::_Exit(code); // the actors may still run: do not wait for them
  sys.shutdown();
  return code;
}
