#pragma once

/// What both benchmark programs share: the command-line options, the clock, the peak memory
/// and the one JSON line that each run prints.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <map>
#include <optional>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/defaults.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/settings.hpp>

#include "measure.hpp"

namespace bench {

/// The sizes of a run. Zero means "the case's default" (see `defaults_for`).
struct options {
  std::string case_name;
  /// counter: n; pingpong: round trips; spawn: actors; selective: receives; buffer: items per
  /// producer.
  size_t n = 0;
  /// skynet: levels below the root (leaves = width^depth).
  size_t depth = 6;
  /// skynet: children per inner actor.
  size_t width = 10;
  /// spawn: actors spawned per turn of the spawner before it mails itself to go on.
  size_t batch = 1000;
  /// counter, troupe only: send to handles looked up once instead of by name each time.
  bool by_handle = false;
  /// How long main waits for the result before it reports a timeout (seconds).
  size_t timeout = 600;
};

/// The case's default `n`, the sizes quoted in bench/README.md.
inline size_t default_n(std::string_view case_name) {
  if (case_name == "counter" || case_name == "pingpong")
    return 1'000'000;
  if (case_name == "spawn")
    return 100'000;
  if (case_name == "selective")
    return 10'000;
  if (case_name == "buffer")
    return 1'000;
  return 0;
}

/// An actor system configuration (`Base` is CAF's or troupe's) that also knows the bench options.
template <class Base>
class config : public Base {
public:
  config() {
    caf::config_option_adder{this->custom_options_, "global"}
      .add(opts.case_name, "case", "counter, pingpong, spawn, skynet, selective or buffer")
      .add(opts.n, "n", "size of the case (0: its default)")
      .add(opts.depth, "depth", "skynet: depth of the tree (default 6)")
      .add(opts.width, "width", "skynet: children per actor (default 10)")
      .add(opts.batch, "batch", "spawn: actors per turn of the spawner (default 1000)")
      .add(opts.timeout, "timeout", "seconds to wait for the result (default 600)")
      .add(opts.by_handle, "by-handle", "counter (troupe): send to handles, not by name");
  }

  options opts;
};

/// The outcome of one case: what the JSON line reports.
struct result {
  /// Wall-clock seconds of the measured part.
  double seconds = 0;
  /// CPU seconds (user + system, all threads) of the measured part: less sensitive than
  /// `seconds` to other programs on a shared machine, and it shows idle workers' polling.
  double cpu_seconds = 0;
  /// Work units of the case (messages, round trips, actors, receives).
  double units = 0;
  /// What `units` counts, per second ("msgs/s").
  std::string unit;
  /// Empty if the result was checked and is right; otherwise what was wrong.
  std::string error;
  /// A short description of the check, e.g. "sum=499999500000".
  std::string check;
  /// True if main gave up waiting.
  bool timed_out = false;
};

/// The distinct ids in [0, n) seen so far: a collector that counts these, not its own loop,
/// notices a worker that answered twice (and so another that never answered).
class id_set {
public:
  explicit id_set(int64_t n) : seen_(static_cast<size_t>(n), false) {}

  /// Records `id`; an id out of range or seen before is not counted.
  void add(int64_t id) {
    if (id < 0 || id >= static_cast<int64_t>(seen_.size()) || seen_[static_cast<size_t>(id)])
      return;
    seen_[static_cast<size_t>(id)] = true;
    ++distinct_;
  }

  /// How many distinct ids in range were seen.
  int64_t distinct() const noexcept { return distinct_; }

private:
  std::vector<bool> seen_;
  int64_t distinct_ = 0;
};

/// The scheduler settings the running system really uses, as a JSON object.
inline std::string settings_json(caf::actor_system& sys) {
  auto policy = caf::get_or(sys.config(), "scheduler.policy", caf::defaults::scheduler::policy);
  std::ostringstream out;
  out << "{\"policy\": " << json_string(caf::to_string(policy))
      << ", \"max-threads\": " << sys.scheduler().num_workers()
      << ", \"max-throughput\": " << sys.scheduler().max_throughput()
      << ", \"moderate-poll-attempts\": "
      << caf::get_or(sys.config(), "work-stealing.moderate-poll-attempts",
                     caf::defaults::work_stealing::moderate_poll_attempts)
      << "}";
  return out.str();
}

/// Prints the run's JSON line on stdout and returns the process's exit code:
/// 0 if the result was right, 1 if it was wrong, 2 if main gave up waiting.
inline int report(std::string_view impl, const options& opts, caf::actor_system& sys,
                  const result& res) {
  std::ostringstream out;
  out.precision(6);
  auto rate = res.seconds > 0 ? res.units / res.seconds : 0.0;
  out << "{\"impl\": " << json_string(impl) << ", \"case\": " << json_string(opts.case_name)
      << ", \"n\": " << opts.n << ", \"depth\": " << opts.depth << ", \"width\": " << opts.width
      << ", \"by_handle\": " << (opts.by_handle ? "true" : "false")
      << ", \"seconds\": " << res.seconds << ", \"cpu_seconds\": " << res.cpu_seconds
      << ", \"rate\": " << std::fixed << rate
      << std::defaultfloat << ", \"unit\": " << json_string(res.unit)
      << ", \"units\": " << static_cast<int64_t>(res.units)
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

/// The sum of the leaves' numbers 0 .. leaves-1 in skynet.
inline int64_t skynet_sum(int64_t leaves) {
  return leaves * (leaves - 1) / 2;
}

/// width^depth, the number of skynet's leaves (saturated at INT64_MAX).
inline int64_t skynet_leaves(size_t width, size_t depth) {
  int64_t leaves = 1;
  for (size_t i = 0; i < depth; ++i) {
    if (leaves > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(width))
      return std::numeric_limits<int64_t>::max();
    leaves *= static_cast<int64_t>(width);
  }
  return leaves;
}

/// All actors of a skynet tree: 1 + width + ... + width^depth.
inline int64_t skynet_actors(size_t width, size_t depth) {
  int64_t total = 0;
  int64_t level = 1;
  for (size_t i = 0; i <= depth; ++i) {
    total += level;
    level *= static_cast<int64_t>(width);
  }
  return total;
}

// -- buffer: the shape of issue 11's bounded-buffer benchmark --------------------------------

/// 40 producers put n items each into a buffer of capacity 50; 40 consumers take them, mark
/// each done, and report their sum and count when the closed buffer is drained.
inline constexpr int buffer_producers = 40;
inline constexpr int buffer_consumers = 40;
inline constexpr size_t buffer_capacity = 50;

/// The report tags of the buffer case: producers' "done", consumers' sums and counts.
inline int buffer_producer_tag(int p) { return 1'000'000 + p; }
inline int buffer_sum_tag(int c) { return 2'000'000 + c; }
inline int buffer_count_tag(int c) { return 3'000'000 + c; }

/// Reports that actors send to main: (tag, value) pairs, keyed by tag.
using reports = std::map<int, int64_t>;

/// Waits until `self` has received `count` messages `(int tag, int64_t value)` or `timeout`
/// has passed since `clock` started; sets `res.timed_out` in the latter case.
inline reports await_reports(caf::scoped_actor& self, size_t count, const stopwatch& clock,
                             const options& opts, result& res) {
  reports got;
  while (got.size() < count) {
    auto left = static_cast<double>(opts.timeout) - clock.seconds();
    if (left <= 0) {
      res.timed_out = true;
      res.error = "no result within " + std::to_string(opts.timeout) + " s";
      break;
    }
    self->receive([&](int tag, int64_t value) { got[tag] = value; },
                  caf::after(std::chrono::milliseconds(static_cast<int64_t>(left * 1000) + 1)) >> [] {});
  }
  return got;
}

/// Checks the consumers' reports of the buffer case: every item 0 .. 40n-1 taken once (their
/// count and their sum).
inline void check_buffer(result& res, const reports& got, int n) {
  int64_t sum = 0;
  int64_t count = 0;
  for (int c = 0; c < buffer_consumers; ++c) {
    auto s = got.find(buffer_sum_tag(c));
    auto k = got.find(buffer_count_tag(c));
    sum += s != got.end() ? s->second : 0;
    count += k != got.end() ? k->second : 0;
  }
  const int64_t items = int64_t{buffer_producers} * n;
  expect_equal(res, "items", count, items);
  expect_equal(res, "sum", sum, items * (items - 1) / 2);
}

/// Parses the command line into `cfg`; returns false (after printing why) if the program
/// should stop: a parse error (exit code 64 in `code`) or `--help` (code 0).
/// One case of a program: its name and the function that runs it on that program's system.
template <class System>
struct case_runner {
  std::string_view name;
  result (*run)(System&, const options&);
};

/// Runs the case that `opts` names, or reports an unknown case as an error.
template <class System>
result run_case(System& sys, const options& opts,
                std::initializer_list<case_runner<System>> cases) {
  for (const auto& c : cases)
    if (opts.case_name == c.name)
      return c.run(sys, opts);
  result res;
  res.error = "unknown case '" + opts.case_name + "'";
  return res;
}

/// Parses the engine's own options (`rest`, what bench::net::parse did not know) into `cfg`.
/// Returns the exit code if the program should stop: 64 after a parse error (printed), 0 after
/// CAF printed its help text; nullopt if it should run.
template <class Config>
std::optional<int> parse_engine_options(Config& cfg, const std::vector<std::string>& rest) {
  if (auto err = cfg.parse(rest)) {
    std::cerr << "error: cannot parse the command line: " << caf::to_string(err) << "\n";
    return 64;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  return std::nullopt;
}

template <class Config>
bool parse(Config& cfg, int argc, char** argv, int& code) {
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "error: cannot parse the command line: " << caf::to_string(err) << "\n";
    code = 64;
    return false;
  }
  if (cfg.cli_helptext_printed) {
    code = 0;
    return false;
  }
  auto& opts = cfg.opts;
  if (opts.n == 0)
    opts.n = default_n(opts.case_name);
  if (opts.width < 2 || opts.width > 1000 || opts.depth < 1 || opts.depth > 8) {
    std::cerr << "error: skynet needs 2 <= --width <= 1000 and 1 <= --depth <= 8\n";
    code = 64;
    return false;
  }
  if (opts.case_name == "skynet") // its size is the tree's; n reports the leaves
    opts.n = static_cast<size_t>(skynet_leaves(opts.width, opts.depth));
  if (opts.n > static_cast<size_t>(std::numeric_limits<int>::max()) || opts.batch == 0) {
    std::cerr << "error: --n (skynet: width^depth) must fit an int, --batch must be positive\n";
    code = 64;
    return false;
  }
  return true;
}

} // namespace bench
