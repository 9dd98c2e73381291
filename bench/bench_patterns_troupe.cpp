/// bench_patterns_troupe: issue 12's pattern actors measured with troupe's defaults.
///
/// Runs one case once (`--case=pool|dict|hedge`, sizes as options, CAF's `--scheduler.*` too)
/// and prints one JSON line: the worker pool on a CPU-bound task, the shared dictionary under
/// 90 % reads from many clients (bench_patterns_caf has the same in plain CAF), and hedged vs
/// sequential calls against a seeded flaky server. bench/README.md describes them.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <troupe/actors/hedge.hpp>
#include <troupe/actors/shared_dict.hpp>
#include <troupe/actors/worker_pool.hpp>
#include <troupe/troupe.hpp>

#include "patterns_harness.hpp"

namespace {

using bench::patterns::options;
using troupe::co_actor;
using troupe::task;

// -- pool: a CPU-bound task through troupe::actors::worker_pool --------------------------------

/// The task: the primes below n by trial division, as bench/python/worker_pool.py counts them.
int32_t count_primes(int32_t n) {
  int32_t count = 0;
  for (int32_t i = 2; i < n; ++i) {
    bool prime = true;
    for (int32_t d = 2; d * d <= i; ++d)
      if (i % d == 0) {
        prime = false;
        break;
      }
    count += prime ? 1 : 0;
  }
  return count;
}

/// Sends `jobs` tasks to `pool` with `main` as their callback and counts the right results;
/// sets `res.timed_out` if they do not all come within the timeout.
int64_t run_jobs(caf::scoped_actor& main, const troupe::actors::worker_pool& pool, size_t jobs,
                 int32_t work, int32_t expect, const options& o, bench::result& res) {
  for (size_t j = 0; j < jobs; ++j)
    pool.submit_to(caf::actor{main}, 0, troupe::actors::make_job(count_primes, work));
  int64_t right = 0;
  for (size_t j = 0; j < jobs && !res.timed_out; ++j)
    main->receive([&](int32_t primes) { right += primes == expect ? 1 : 0; },
                  [&](caf::error& err) { res.error = main->system().render(err); },
                  caf::after(std::chrono::seconds(o.timeout)) >> [&] {
                    res.timed_out = true;
                    res.error = "no result within " + std::to_string(o.timeout) + " s";
                  });
  return right;
}

bench::result run_pool(troupe::system& sys, const options& o, int64_t& switches) {
  bench::result res;
  res.unit = "jobs/s";
  auto workers = o.workers > 0 ? o.workers : std::max(1u, std::thread::hardware_concurrency());
  auto route = o.route == "least_loaded" ? troupe::actors::routing::least_loaded
                                         : troupe::actors::routing::round_robin;
  auto pool =
    troupe::actors::worker_pool::spawn(sys, troupe::actors::pool_options{workers, route});
  if (!pool) {
    res.error = sys.engine().render(pool.error());
    return res;
  }
  auto work = static_cast<int32_t>(o.work);
  auto expect = count_primes(work);
  caf::scoped_actor main{sys.engine()};
  // The warm-up: every worker thread has started and run a job before the clock runs.
  run_jobs(main, *pool, workers, work, expect, o, res);
  bench::stopwatch clock;
  auto switches_before = bench::patterns::context_switches();
  auto right = run_jobs(main, *pool, o.jobs, work, expect, o, res);
  clock.stop(res);
  switches = bench::patterns::context_switches() - switches_before;
  res.units = static_cast<double>(o.jobs);
  main->send_exit(pool->handle(), caf::exit_reason::user_shutdown);
  res.check = "workers=" + std::to_string(workers) + ", work=" + std::to_string(work) +
              ", route=" + o.route;
  bench::expect_equal(res, "right_results", right, static_cast<int64_t>(o.jobs));
  return res;
}

// -- dict: clients on a troupe::actors::shared_dict ---------------------------------------------

using troupe::actors::shared_dict;
using troupe::actors::value;
using workload = bench::patterns::dict_workload;

/// Makes its operations one at a time (each awaited) and reports how many it made and how many
/// answers were wrong (an error, or a value that was never put under the key).
task dict_client(co_actor& self, shared_dict d, caf::actor main, options o, size_t me) {
  workload ops{o, me};
  int64_t done = 0;
  int64_t bad = 0;
  for (size_t i = 0; i < o.ops; ++i, ++done) {
    auto op = ops.next();
    if (!op.read) {
      bad += (co_await d.put(self, value{op.key}, value{op.val})) ? 0 : 1;
      continue;
    }
    auto got = co_await d.get(self, value{op.key});
    if (!got)
      ++bad;
    else if (*got && !workload::belongs_to(std::get<int64_t>(**got), op.key))
      ++bad;
  }
  self.send(main, bench::patterns::dict_done_tag(me), done);
  self.send(main, bench::patterns::dict_bad_tag(me), bad);
}

bench::result run_dict(troupe::system& sys, const options& o) {
  bench::result res;
  res.unit = "ops/s";
  auto d = shared_dict::spawn(sys, o.shards);
  if (!d) {
    res.error = sys.engine().render(d.error());
    return res;
  }
  caf::scoped_actor main{sys.engine()};
  bench::stopwatch clock;
  for (size_t c = 0; c < o.clients; ++c)
    sys.spawn(dict_client, *d, caf::actor{main}, o, c);
  bench::options wait{};
  wait.timeout = o.timeout;
  auto got = bench::await_reports(main, 2 * o.clients, clock, wait, res);
  clock.stop(res);
  res.units = static_cast<double>(o.clients * o.ops);
  if (res.timed_out)
    return res;
  auto size = bench::patterns::dict_size<shared_dict::size_atom>(main, d->shards(), o, res);
  bench::patterns::check_dict(res, got, o, size);
  return res;
}

// -- hedge: hedged vs sequential calls against a seeded flaky server ---------------------------

using answer_atom = caf::atom_constant<caf::atom("answer")>;

/// The server's requests waiting for their latency to pass.
struct flaky_state {
  struct pending {
    caf::response_promise reply;
    int32_t x;
    bool dropped;
  };
  std::mt19937 rng;
  std::unordered_map<uint64_t, pending> due;
  uint64_t next = 0;
};

/// Answers request x with x after a latency uniform in 0.5..1.5 x `latency`, or fails it (a
/// drop at a load peak) with probability `drop`; both drawn from `seed`, in arrival order.
caf::behavior flaky_server(caf::stateful_actor<flaky_state>* self, uint32_t seed, double drop,
                           caf::timespan latency) {
  self->state.rng.seed(seed);
  return {
    [self, drop, latency](int32_t x) {
      auto& st = self->state;
      bool dropped = std::bernoulli_distribution{drop}(st.rng);
      auto factor = std::uniform_real_distribution<double>{0.5, 1.5}(st.rng);
      auto id = st.next++;
      st.due.emplace(id, flaky_state::pending{self->make_response_promise(), x, dropped});
      self->delayed_send(self, std::chrono::duration_cast<caf::timespan>(latency * factor),
                         answer_atom::value, id);
    },
    [self](answer_atom, uint64_t id) {
      auto i = self->state.due.find(id);
      if (i == self->state.due.end())
        return;
      auto& p = i->second;
      if (p.dropped)
        p.reply.deliver(caf::make_error(caf::sec::runtime_error, "dropped at a load peak"));
      else
        p.reply.deliver(p.x);
      self->state.due.erase(i);
    },
  };
}

/// Makes `calls` calls one after another and sends main each one's latency in microseconds,
/// negated for a call that failed.
task hedge_caller(co_actor& self, caf::actor server, troupe::actors::hedge_options opts,
                  size_t calls, caf::actor main) {
  std::vector<int64_t> signed_us;
  const std::vector<caf::actor> targets{server};
  for (size_t i = 0; i < calls; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto x = static_cast<int32_t>(i);
    auto r = co_await troupe::actors::hedge::request<int32_t>(self, targets, opts, x);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
    signed_us.push_back(r && *r == x ? us : -us);
  }
  self.send(main, std::move(signed_us));
}

bench::result run_hedge(troupe::system& sys, const options& o, bench::patterns::call_outcomes& calls) {
  bench::result res;
  res.unit = "calls/s";
  using ms = std::chrono::milliseconds;
  auto deadline = ms(o.deadline_ms);
  constexpr uint32_t unlimited = 1'000'000; // the deadline, not a count, ends each call
  auto opts = o.strategy == "sequential"
                ? troupe::actors::hedge_options::sequential(deadline, unlimited)
                : troupe::actors::hedge_options::hedged(deadline, unlimited,
                                                        static_cast<uint32_t>(o.in_flight),
                                                        ms(o.hedge_delay_ms));
  auto server = sys.engine().spawn(flaky_server, static_cast<uint32_t>(o.seed), o.drop,
                                   caf::timespan{ms(o.latency_ms)});
  caf::scoped_actor main{sys.engine()};
  bench::stopwatch clock;
  auto per_caller = o.trials / o.callers;
  for (size_t c = 0; c < o.callers; ++c)
    sys.spawn(hedge_caller, server, opts, per_caller, caf::actor{main});
  for (size_t c = 0; c < o.callers && !res.timed_out; ++c)
    main->receive(
      [&](std::vector<int64_t>& signed_us) {
        for (auto us : signed_us) {
          calls.us.push_back(us < 0 ? -us : us);
          calls.ok += us >= 0 ? 1 : 0;
        }
      },
      caf::after(std::chrono::seconds(o.timeout)) >> [&] {
        res.timed_out = true;
        res.error = "no result within " + std::to_string(o.timeout) + " s";
      });
  clock.stop(res);
  main->send_exit(server, caf::exit_reason::user_shutdown);
  res.units = static_cast<double>(calls.us.size());
  bench::expect_equal(res, "calls", static_cast<int64_t>(calls.us.size()),
                      static_cast<int64_t>(per_caller * o.callers));
  // No call may take much longer than its deadline: hedge answers at the deadline itself.
  auto late = std::count_if(calls.us.begin(), calls.us.end(), [&](int64_t us) {
    return us > static_cast<int64_t>(o.deadline_ms) * 1000 + 1'000'000;
  });
  bench::expect_equal(res, "calls_a_second_past_the_deadline", late, 0);
  return res;
}

} // namespace

int main(int argc, char** argv) {
  bench::patterns::config<troupe::config> cfg;
  if (auto code = bench::patterns::parse(cfg, argc, argv))
    return *code;
  troupe::system sys{cfg};
  const auto& o = cfg.opts;
  bench::result res;
  std::string extra;
  if (o.case_name == "pool") {
    int64_t switches = 0;
    res = run_pool(sys, o, switches);
    extra = ", \"context_switches\": " + std::to_string(switches);
  } else if (o.case_name == "dict") {
    res = run_dict(sys, o);
  } else {
    bench::patterns::call_outcomes calls;
    res = run_hedge(sys, o, calls);
    extra = bench::patterns::hedge_fields(calls);
  }
  auto code = bench::patterns::report("troupe", o, sys.engine(), res, extra);
  if (res.timed_out)
    std::_Exit(code); // the actors may still run: do not wait for them
  sys.shutdown();
  return code;
}
