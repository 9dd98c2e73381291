/// bench_caf: the benchmark cases written as plain CAF 0.17 event-based behaviours.
///
/// Runs one case once (`--case=NAME`, sizes as options, `--scheduler.*` options too) on a
/// `caf::actor_system` with CAF's own defaults and prints one JSON line. bench_troupe.cpp has
/// the same cases as troupe coroutine actors; bench/README.md describes them.
///
/// Every function-based actor here takes at least one argument: CAF 0.17 dereferences a null
/// argument tuple for argument-less ones, which UBSan reports (see DESIGN.md).

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <caf/all.hpp>

#include "harness.hpp"

namespace {

using caf::actor;
using caf::behavior;
using caf::event_based_actor;
using caf::stateful_actor;

struct count_state {
  int64_t count = 0;
};

// -- counter: the ActorScheduler of the Python generator example -----------------------------

/// say_hello / say_hi: counts what it gets; -1 ends it and reports the count to main.
behavior greeter(stateful_actor<count_state>* self, actor main, int tag) {
  return {
    [=](int n) {
      if (n < 0) {
        self->send(main, tag, self->state.count);
        self->quit();
        return;
      }
      ++self->state.count;
    },
  };
}

/// counter: n > 0 goes to say_hello, say_hi and (as n - 1) back to itself.
behavior counter(stateful_actor<count_state>* self, actor main, actor hello, actor hi) {
  return {
    [=](int n) {
      ++self->state.count;
      if (n == 0) {
        self->send(hello, -1);
        self->send(hi, -1);
        self->send(main, 0, self->state.count);
        self->quit();
        return;
      }
      self->send(hello, n);
      self->send(hi, n);
      self->send(self, n - 1);
    },
  };
}

bench::result run_counter(caf::actor_system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "msgs/s";
  auto n = static_cast<int>(opts.n);
  caf::scoped_actor main{sys};
  auto hello = sys.spawn(greeter, actor{main}, 1);
  auto hi = sys.spawn(greeter, actor{main}, 2);
  auto count = sys.spawn(counter, actor{main}, hello, hi);
  bench::stopwatch clock;
  caf::anon_send(count, n);
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
behavior pong(event_based_actor* self, int end_marker) {
  return {
    [=](int x) {
      if (x == end_marker) {
        self->quit();
        return;
      }
      self->send(caf::actor_cast<actor>(self->current_sender()), x + 1);
    },
  };
}

struct ping_state {
  int next = 0;
  int64_t good = 0;
};

/// ping: n round trips with pong, checking every answer; reports the good ones to main.
behavior ping(stateful_actor<ping_state>* self, actor main, actor partner, int n) {
  self->send(partner, 0);
  return {
    [=](int x) {
      auto& st = self->state;
      if (x == st.next + 1)
        ++st.good;
      if (++st.next == n) {
        self->send(partner, -1);
        self->send(main, 0, st.good);
        self->quit();
        return;
      }
      self->send(partner, st.next);
    },
  };
}

bench::result run_pingpong(caf::actor_system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "round trips/s";
  auto n = static_cast<int>(opts.n);
  caf::scoped_actor main{sys};
  bench::stopwatch clock;
  auto partner = sys.spawn(pong, -1);
  sys.spawn(ping, actor{main}, partner, n);
  auto got = bench::await_reports(main, 1, clock, opts, res);
  clock.stop(res);
  res.units = n;
  if (!res.timed_out)
    bench::expect_equal(res, "round_trips", got[0], n);
  return res;
}

// -- spawn ------------------------------------------------------------------------------------

/// A spawned actor: takes one number and passes it to the collector, then ends.
behavior worker(event_based_actor* self, actor sink) {
  return {
    [=](int x) {
      self->send(sink, x);
      self->quit();
    },
  };
}

struct collector_state {
  int received = 0;
  int64_t sum = 0;
  bench::id_set ids{0};
};

/// Takes n numbers from the workers; reports how many distinct ones came, and their sum.
behavior collector(stateful_actor<collector_state>* self, actor main, int n) {
  self->state.ids = bench::id_set{n};
  return {
    [=](int x) {
      auto& st = self->state;
      st.sum += x;
      st.ids.add(x);
      if (++st.received == n) {
        self->send(main, 0, st.ids.distinct());
        self->send(main, 1, st.sum);
        self->quit();
      }
    },
  };
}

struct spawner_state {
  int next = 0;
};

/// Spawns n workers, `batch` per turn, and sends each its number; between batches it mails
/// itself, so that the workers it spawned get to run.
behavior spawner(stateful_actor<spawner_state>* self, actor sink, int n, int batch) {
  self->send(self, -1);
  return {
    [=](int) {
      auto& next = self->state.next;
      auto end = std::min(n, next + batch);
      for (; next < end; ++next)
        self->send(self->spawn(worker, sink), next);
      if (next < n)
        self->send(self, -1);
      else
        self->quit();
    },
  };
}

bench::result run_spawn(caf::actor_system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "actors/s";
  auto n = static_cast<int>(opts.n);
  caf::scoped_actor main{sys};
  bench::stopwatch clock;
  auto sink = sys.spawn(collector, actor{main}, n);
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

struct skynet_state {
  int received = 0;
  int64_t sum = 0;
};

/// A node of the tree: a leaf sends its number to its parent; an inner node spawns `width`
/// children (on its own worker) and sends the sum of their answers to its parent.
behavior skynet(stateful_actor<skynet_state>* self, actor parent, int64_t num, int64_t size,
                int width) {
  if (size == 1) {
    self->send(parent, num);
    self->quit();
    return {};
  }
  auto sub = size / width;
  for (int i = 0; i < width; ++i)
    self->spawn(skynet, actor{self}, num + i * sub, sub, width);
  return {
    [=](int64_t x) {
      auto& st = self->state;
      st.sum += x;
      if (++st.received == width) {
        self->send(parent, st.sum);
        self->quit();
      }
    },
  };
}

bench::result run_skynet(caf::actor_system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "actors/s";
  auto leaves = bench::skynet_leaves(opts.width, opts.depth);
  caf::scoped_actor main{sys};
  bench::stopwatch clock;
  sys.spawn(skynet, actor{main}, int64_t{0}, leaves, static_cast<int>(opts.width));
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

struct selective_state {
  int received = 0;
  int64_t sum = 0;
  int64_t intact = 0;
};

/// Receives n ints while it skips n strings (CAF's `skip` leaves them in the mailbox), reports
/// their sum; then takes the strings and reports how many arrived intact.
behavior selective(stateful_actor<selective_state>* self, actor main, int n, std::string text) {
  return {
    [=](int x) {
      auto& st = self->state;
      st.sum += x;
      if (++st.received < n)
        return;
      self->send(main, 1, st.sum);
      st.received = 0;
      self->become([=](const std::string& s) {
        auto& st = self->state;
        if (s == text)
          ++st.intact;
        if (++st.received == n) {
          self->send(main, 2, st.intact);
          self->quit();
        }
      });
    },
    [](const std::string&) { return caf::skip; },
  };
}

bench::result run_selective(caf::actor_system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "receives/s";
  auto n = static_cast<int>(opts.n);
  const std::string text = "not an int";
  caf::scoped_actor main{sys};
  auto receiver = sys.spawn(selective, actor{main}, n, text);
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

// -- buffer: a bounded buffer written in plain CAF ------------------------------------------

using buf_put_atom = caf::atom_constant<caf::atom("put")>;
using buf_take_atom = caf::atom_constant<caf::atom("take")>;
using buf_done_atom = caf::atom_constant<caf::atom("done")>;
using buf_close_atom = caf::atom_constant<caf::atom("close")>;

/// The plain CAF buffer: puts wait for room, takes for items, both through response promises
/// (as troupe's does, without its per-taker bookkeeping for redelivery).
struct buffer_state {
  std::deque<int64_t> items;
  std::deque<caf::response_promise> takers;
  std::deque<std::pair<caf::response_promise, int64_t>> producers;
  int64_t unfinished = 0;
  bool closed = false;
};

/// Hands items to waiting takers and admits waiting producers while there is room.
void serve(stateful_actor<buffer_state>* self, size_t capacity) {
  auto& s = self->state;
  for (bool moved = true; moved;) {
    moved = false;
    while (!s.items.empty() && !s.takers.empty()) {
      s.takers.front().deliver(s.items.front());
      s.takers.pop_front();
      s.items.pop_front();
      moved = true;
    }
    while (!s.producers.empty() && s.items.size() < capacity) {
      auto [reply, x] = std::move(s.producers.front());
      s.producers.pop_front();
      reply.deliver(caf::unit);
      s.items.push_back(x);
      ++s.unfinished;
      moved = true;
    }
  }
  if (s.closed && s.items.empty())
    for (auto& t : std::exchange(s.takers, {}))
      t.deliver(caf::make_error(caf::sec::request_receiver_down));
}

behavior bounded_buffer(stateful_actor<buffer_state>* self, size_t capacity) {
  return {
    [=](buf_put_atom, int64_t x) {
      self->state.producers.emplace_back(self->make_response_promise(), x);
      serve(self, capacity);
    },
    [=](buf_take_atom) {
      self->state.takers.push_back(self->make_response_promise());
      serve(self, capacity);
    },
    [=](buf_done_atom) { --self->state.unfinished; },
    [=](buf_close_atom) {
      self->state.closed = true;
      serve(self, capacity);
    },
  };
}

/// Puts n items (me * n + i) one after the other, then reports to main.
class buffer_producer : public event_based_actor {
public:
  buffer_producer(caf::actor_config& cfg, actor q, actor main, int me, int n)
      : event_based_actor(cfg), q_(std::move(q)), main_(std::move(main)), me_(me), n_(n) {}

  behavior make_behavior() override {
    next();
    return {[](int) {}};
  }

private:
  void next() {
    if (i_ == n_) {
      send(main_, bench::buffer_producer_tag(me_), int64_t{0});
      quit();
      return;
    }
    request(q_, caf::infinite, buf_put_atom::value, int64_t{me_} * n_ + i_).then([this] {
      ++i_;
      next();
    });
  }

  actor q_;
  actor main_;
  int me_;
  int n_;
  int i_ = 0;
};

/// Takes items and marks each done until the buffer is closed and drained.
class buffer_consumer : public event_based_actor {
public:
  buffer_consumer(caf::actor_config& cfg, actor q, actor main, int me)
      : event_based_actor(cfg), q_(std::move(q)), main_(std::move(main)), me_(me) {}

  behavior make_behavior() override {
    next();
    return {[](int) {}};
  }

private:
  void next() {
    request(q_, caf::infinite, buf_take_atom::value)
      .then(
        [this](int64_t x) {
          sum_ += x;
          ++count_;
          send(q_, buf_done_atom::value);
          next();
        },
        [this](caf::error&) {
          send(main_, bench::buffer_sum_tag(me_), sum_);
          send(main_, bench::buffer_count_tag(me_), count_);
          quit();
        });
  }

  actor q_;
  actor main_;
  int me_;
  int64_t sum_ = 0;
  int64_t count_ = 0;
};

bench::result run_buffer(caf::actor_system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "items/s";
  auto n = static_cast<int>(opts.n);
  auto q = sys.spawn(bounded_buffer, bench::buffer_capacity);
  caf::scoped_actor main{sys};
  bench::stopwatch clock;
  for (int c = 0; c < bench::buffer_consumers; ++c)
    sys.spawn<buffer_consumer>(q, actor{main}, c);
  for (int p = 0; p < bench::buffer_producers; ++p)
    sys.spawn<buffer_producer>(q, actor{main}, p, n);
  bench::await_reports(main, bench::buffer_producers, clock, opts, res);
  if (res.timed_out)
    return res;
  main->send(q, buf_close_atom::value);
  auto got = bench::await_reports(main, 2 * bench::buffer_consumers, clock, opts, res);
  clock.stop(res);
  res.units = static_cast<double>(bench::buffer_producers) * n;
  if (!res.timed_out)
    bench::check_buffer(res, got, n);
  return res;
}

// -- rw: a dictionary behind a readers/writer guard written in plain CAF --------------------

using rw_read_atom = caf::atom_constant<caf::atom("rw_read")>;
using rw_write_atom = caf::atom_constant<caf::atom("rw_write")>;
using rw_release_atom = caf::atom_constant<caf::atom("rw_rel")>;

/// An acquire that waits for its lease.
struct rw_waiter {
  caf::actor_addr who;
  caf::response_promise reply;
  bool write;
};

/// One guarded resource: its holders and its waiting acquires.
struct rw_resource_state {
  std::unordered_set<caf::actor_addr> readers;
  caf::actor_addr writer;
  std::deque<rw_waiter> waiting;
};

/// The plain CAF guard: named resources, leases owned by their sender, fair policy (arrival
/// order; consecutive reads at the head share the resource). Acquires wait through response
/// promises, as troupe's do (without troupe's wait limits and reclaiming on a holder's death).
struct rw_guard_state {
  std::unordered_map<std::string, rw_resource_state> resources;
};

/// Grants the waiting acquires at the head of `rs` that the fair policy allows now.
void rw_grant(rw_resource_state& rs) {
  while (!rs.waiting.empty()) {
    auto& w = rs.waiting.front();
    if (rs.writer || (w.write && !rs.readers.empty()))
      return;
    if (w.write)
      rs.writer = w.who;
    else
      rs.readers.insert(w.who);
    w.reply.deliver(caf::unit);
    rs.waiting.pop_front();
  }
}

behavior rw_guard(stateful_actor<rw_guard_state>* self, int) {
  auto acquire = [self](const std::string& res, bool write) {
    auto& rs = self->state.resources[res];
    auto who = caf::actor_cast<caf::actor_addr>(self->current_sender());
    rs.waiting.push_back({std::move(who), self->make_response_promise(), write});
    rw_grant(rs);
  };
  return {
    [=](rw_read_atom, const std::string& res) { acquire(res, false); },
    [=](rw_write_atom, const std::string& res) { acquire(res, true); },
    [=](rw_release_atom, const std::string& res) -> caf::result<void> {
      auto i = self->state.resources.find(res);
      auto who = caf::actor_cast<caf::actor_addr>(self->current_sender());
      if (i == self->state.resources.end())
        return caf::make_error(caf::sec::invalid_argument, "no lease");
      auto& rs = i->second;
      if (rs.writer == who)
        rs.writer = nullptr;
      else if (rs.readers.erase(who) == 0)
        return caf::make_error(caf::sec::invalid_argument, "no lease");
      rw_grant(rs);
      return caf::unit;
    },
  };
}

/// Does n operations on the dictionary, each under a lease of the guard (released without
/// waiting); reports its reads and writes.
class rw_client : public event_based_actor {
public:
  rw_client(caf::actor_config& cfg, actor guard, bench::rw_dict* dict, actor main, int me, int n)
      : event_based_actor(cfg), guard_(std::move(guard)), dict_(dict), main_(std::move(main)),
        me_(me), n_(n), ops_(me) {}

  behavior make_behavior() override {
    next();
    return {[](int) {}};
  }

private:
  void next() {
    if (i_ == n_) {
      send(main_, bench::rw_reads_tag(me_), reads_);
      send(main_, bench::rw_writes_tag(me_), writes_);
      quit();
      return;
    }
    auto op = ops_.next();
    auto done = [this, op] {
      if (op.write) {
        dict_->write(op.key);
        ++writes_;
      } else {
        (void)dict_->read(op.key);
        ++reads_;
      }
      send(guard_, rw_release_atom::value, std::string{bench::rw_resource});
      ++i_;
      next();
    };
    if (op.write)
      request(guard_, caf::infinite, rw_write_atom::value, std::string{bench::rw_resource})
        .then(done);
    else
      request(guard_, caf::infinite, rw_read_atom::value, std::string{bench::rw_resource})
        .then(done);
  }

  actor guard_;
  bench::rw_dict* dict_;
  actor main_;
  int me_;
  int n_;
  int i_ = 0;
  bench::rw_ops ops_;
  int64_t reads_ = 0;
  int64_t writes_ = 0;
};

bench::result run_rw(caf::actor_system& sys, const bench::options& opts) {
  bench::result res;
  res.unit = "ops/s";
  auto n = static_cast<int>(opts.n);
  auto guard = sys.spawn(rw_guard, 0);
  bench::rw_dict dict;
  caf::scoped_actor main{sys};
  bench::stopwatch clock;
  for (int c = 0; c < bench::rw_clients; ++c)
    sys.spawn<rw_client>(guard, &dict, actor{main}, c, n);
  auto got = bench::await_reports(main, 2 * bench::rw_clients, clock, opts, res);
  clock.stop(res);
  res.units = static_cast<double>(bench::rw_clients) * n;
  if (!res.timed_out)
    bench::check_rw(res, got, dict, n);
  return res;
}

bench::result run(caf::actor_system& sys, const bench::options& opts) {
  return bench::run_case<caf::actor_system>(sys, opts,
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
  bench::config<caf::actor_system_config> cfg;
  int code = 0;
  if (!bench::parse(cfg, argc, argv, code))
    return code;
  caf::actor_system sys{cfg};
  auto res = run(sys, cfg.opts);
  code = bench::report("caf", cfg.opts, sys, res);
  if (res.timed_out)
    std::_Exit(code); // the actors may still run: do not wait for them
  return code;
}
