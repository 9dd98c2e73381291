#pragma once

/// What the pattern benchmarks (bench_patterns_troupe, bench_patterns_caf) share: their options,
/// the shared-dictionary workload both sides replay from the same seeds, and the JSON line.

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>

#include <caf/config_option_adder.hpp>

#include "harness.hpp"

namespace bench::patterns {

/// The sizes of a run (bench/README.md, "The pattern cases").
struct options {
  /// pool, dict or hedge.
  std::string case_name;
  /// pool: workers (0: one per core).
  size_t workers = 0;
  /// pool: timed jobs.
  size_t jobs = 512;
  /// pool: each job counts the primes below `work`.
  size_t work = 100'000;
  /// pool: round_robin or least_loaded (which lets a worker hold one job at a time, not two).
  std::string route = "round_robin";
  /// dict: client actors, operations per client, distinct keys, percent of gets, shards.
  size_t clients = 100;
  size_t ops = 5'000;
  size_t keys = 1'000;
  size_t reads = 90;
  size_t shards = 4;
  /// dict, bench_patterns_caf only: each request's timeout (0: none). troupe's requests always
  /// have one (`troupe.request-timeout`), and CAF arms a timer on its clock thread for each.
  size_t request_timeout_ms = 0;
  /// hedge: calls in all, their concurrent clients, the strategy (sequential or hedged).
  size_t trials = 2'000;
  size_t callers = 50;
  std::string strategy = "hedged";
  /// hedge: the flaky server's drop probability, mean latency, the deadline, the hedge delay and
  /// the copies in flight.
  double drop = 0.5;
  size_t latency_ms = 20;
  size_t deadline_ms = 50;
  size_t hedge_delay_ms = 5;
  size_t in_flight = 3;
  /// dict and hedge: the seed of the workload (dict) or of the server's drops and latencies.
  size_t seed = 1;
  /// How long main waits for the result before it reports a timeout (seconds).
  size_t timeout = 600;
};

/// An actor system configuration (`Base` is CAF's or troupe's) that also knows the options.
template <class Base>
class config : public Base {
public:
  config() {
    caf::config_option_adder{this->custom_options_, "global"}
      .add(opts.case_name, "case", "pool, dict or hedge")
      .add(opts.workers, "workers", "pool: workers (0: one per core)")
      .add(opts.jobs, "jobs", "pool: timed jobs (default 512)")
      .add(opts.work, "work", "pool: each job counts the primes below this (default 100000)")
      .add(opts.route, "route", "pool: round_robin or least_loaded (default round_robin)")
      .add(opts.clients, "clients", "dict: client actors (default 100)")
      .add(opts.ops, "ops", "dict: operations per client (default 5000)")
      .add(opts.keys, "keys", "dict: distinct keys (default 1000)")
      .add(opts.reads, "reads", "dict: percent of gets, the rest puts (default 90)")
      .add(opts.shards, "shards", "dict: shard actors (default 4)")
      .add(opts.request_timeout_ms, "request-timeout-ms",
           "dict, CAF only: each request's timeout (default 0: none)")
      .add(opts.trials, "trials", "hedge: calls in all (default 2000)")
      .add(opts.callers, "callers", "hedge: concurrent clients (default 50)")
      .add(opts.strategy, "strategy", "hedge: sequential or hedged (default hedged)")
      .add(opts.drop, "drop", "hedge: the server's drop probability (default 0.5)")
      .add(opts.latency_ms, "latency-ms", "hedge: the server's mean latency (default 20)")
      .add(opts.deadline_ms, "deadline-ms", "hedge: the deadline of each call (default 50)")
      .add(opts.hedge_delay_ms, "hedge-delay-ms", "hedge: wait before each further copy (5)")
      .add(opts.in_flight, "in-flight", "hedge: copies in flight at once (default 3)")
      .add(opts.seed, "seed", "dict: workload seed; hedge: server seed (default 1)")
      .add(opts.timeout, "timeout", "seconds to wait for the result (default 600)");
  }

  options opts;
};

/// Checks the options; returns what is wrong, or an empty string.
inline std::string check_options(const options& o) {
  if (o.case_name != "pool" && o.case_name != "dict" && o.case_name != "hedge")
    return "unknown case '" + o.case_name + "' (pool, dict or hedge)";
  if (o.jobs == 0 || o.work < 2 || o.clients == 0 || o.ops == 0 || o.keys == 0 ||
      o.reads > 100 || o.shards == 0 || o.trials == 0 || o.callers == 0 ||
      o.callers > o.trials || o.drop < 0 || o.drop > 1 || o.deadline_ms == 0 ||
      o.in_flight == 0)
    return "need --jobs, --clients, --ops, --keys, --shards, --trials, --callers, "
           "--deadline-ms, --in-flight >= 1, --work >= 2, --reads <= 100, --callers <= "
           "--trials, --drop in [0, 1]";
  if (o.strategy != "sequential" && o.strategy != "hedged")
    return "--strategy must be sequential or hedged";
  if (o.route != "round_robin" && o.route != "least_loaded")
    return "--route must be round_robin or least_loaded";
  return {};
}

// -- dict: the same operations on both sides ---------------------------------------------------

/// One operation of a dictionary client: a get, or a put of a value that names its key.
struct dict_op {
  bool read;
  int64_t key;
  int64_t val;
};

/// The operations of one client, replayed alike by troupe, CAF and the final check.
class dict_workload {
public:
  dict_workload(const options& o, size_t client)
    : rng_(o.seed * 1'000'003 + client), keys_(o.keys), reads_(o.reads), client_(client) {}

  dict_op next() {
    bool read = rng_() % 100 < reads_;
    auto key = static_cast<int64_t>(rng_() % keys_);
    return {read, key, value_for(key, client_)};
  }

  /// The value a client puts under `key`: the key is readable from it.
  static int64_t value_for(int64_t key, size_t client) {
    return key * 1'000'000 + static_cast<int64_t>(client % 1'000'000);
  }

  /// Whether `val` can have been put under `key`.
  static bool belongs_to(int64_t val, int64_t key) { return val / 1'000'000 == key; }

private:
  std::mt19937_64 rng_;
  uint64_t keys_;
  uint64_t reads_;
  size_t client_;
};

/// How many distinct keys the clients' puts create: what the dictionary must hold at the end.
inline int64_t dict_expected_size(const options& o) {
  std::set<int64_t> keys;
  for (size_t c = 0; c < o.clients; ++c) {
    dict_workload w{o, c};
    for (size_t i = 0; i < o.ops; ++i)
      if (auto op = w.next(); !op.read)
        keys.insert(op.key);
  }
  return static_cast<int64_t>(keys.size());
}

/// The report tags of the dict case: a client's completed operations and its wrong answers.
inline int dict_done_tag(size_t c) { return 1'000'000 + static_cast<int>(c); }
inline int dict_bad_tag(size_t c) { return 2'000'000 + static_cast<int>(c); }

/// The number of keys of a dictionary: the sum of its shards' answers to `SizeAtom`.
template <class SizeAtom>
int64_t dict_size(caf::scoped_actor& main, const std::vector<caf::actor>& shards,
                  const options& o, result& res) {
  int64_t size = 0;
  for (auto& shard : shards)
    main->request(shard, std::chrono::seconds(o.timeout), SizeAtom::value)
      .receive([&](uint64_t n) { size += static_cast<int64_t>(n); },
               [&](caf::error& err) { res.error = main->system().render(err); });
  return size;
}

/// Checks the clients' reports and the final size of the dictionary.
inline void check_dict(result& res, const reports& got, const options& o, int64_t size) {
  int64_t done = 0;
  int64_t bad = 0;
  for (size_t c = 0; c < o.clients; ++c) {
    auto d = got.find(dict_done_tag(c));
    auto b = got.find(dict_bad_tag(c));
    done += d != got.end() ? d->second : 0;
    bad += b != got.end() ? b->second : 1;
  }
  expect_equal(res, "ops", done, static_cast<int64_t>(o.clients * o.ops));
  expect_equal(res, "wrong_answers", bad, 0);
  expect_equal(res, "keys", size, dict_expected_size(o));
}

// -- hedge: the outcome of the calls ------------------------------------------------------------

/// The calls of the hedge case: each one's latency in microseconds, and how many succeeded.
struct call_outcomes {
  std::vector<int64_t> us;
  int64_t ok = 0;

  /// The p-quantile (0..1) of the latencies in milliseconds (nearest rank below).
  double percentile_ms(double p) const {
    if (us.empty())
      return 0;
    auto sorted = us;
    std::sort(sorted.begin(), sorted.end());
    auto i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1));
    return static_cast<double>(sorted[i]) / 1000.0;
  }
};

/// The fields the hedge case adds to the JSON line.
inline std::string hedge_fields(const call_outcomes& calls) {
  std::ostringstream out;
  auto total = std::max<size_t>(1, calls.us.size());
  out << ", \"success_pct\": " << 100.0 * static_cast<double>(calls.ok) / total
      << ", \"p50_ms\": " << calls.percentile_ms(0.5)
      << ", \"p99_ms\": " << calls.percentile_ms(0.99);
  return out.str();
}

/// The context switches (voluntary and involuntary) of the process so far: a thread that waits
/// for a message and is woken counts one.
inline int64_t context_switches() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_nvcsw + usage.ru_nivcsw;
}

/// Prints the run's JSON line (as bench::report does, with `extra` fields) and returns the exit
/// code: 0 if the result was right, 1 if it was wrong, 2 if main gave up waiting.
inline int report(std::string_view impl, const options& o, caf::actor_system& sys,
                  const result& res, const std::string& extra = {}) {
  std::ostringstream out;
  out.precision(6);
  auto rate = res.seconds > 0 ? res.units / res.seconds : 0.0;
  out << "{\"impl\": " << json_string(impl) << ", \"case\": " << json_string(o.case_name)
      << ", \"seconds\": " << res.seconds << ", \"cpu_seconds\": " << res.cpu_seconds
      << ", \"rate\": " << std::fixed << rate << std::defaultfloat
      << ", \"unit\": " << json_string(res.unit) << ", \"units\": " << res.units << extra
      << ", \"peak_rss_mib\": " << peak_rss_mib() << ", \"settings\": " << settings_json(sys)
      << ", \"ok\": " << (res.error.empty() ? "true" : "false")
      << ", \"timed_out\": " << (res.timed_out ? "true" : "false")
      << ", \"check\": " << json_string(res.check) << ", \"error\": " << json_string(res.error)
      << "}";
  std::cout << out.str() << std::endl;
  if (res.timed_out)
    return 2;
  return res.error.empty() ? 0 : 1;
}

/// Parses the command line into `cfg`; returns the exit code if the program should stop (64
/// after a bad option, printed; 0 after --help), nullopt if it should run.
template <class Config>
std::optional<int> parse(Config& cfg, int argc, char** argv) {
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "error: cannot parse the command line: " << caf::to_string(err) << "\n";
    return 64;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  if (auto why = check_options(cfg.opts); !why.empty()) {
    std::cerr << "error: " << why << "\n";
    return 64;
  }
  return std::nullopt;
}

} // namespace bench::patterns
