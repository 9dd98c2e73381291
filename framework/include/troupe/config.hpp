#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <caf/actor_system_config.hpp>

namespace troupe {

class extension;
class system;

/// The configuration of a troupe system: CAF's `actor_system_config` with troupe's defaults.
///
/// Every setting can be changed from code (`set("scheduler.max-threads", 4)`), from the command
/// line (`--scheduler.policy=sharing`) or from a config file (`--config-file=app.ini`) through
/// CAF's own option parsing. Subclass it to add your own options, as with CAF.
///
/// troupe's scheduler defaults, chosen by measuring every case of bench/ under 16 candidate
/// settings on a 2-core machine (see README, "Scheduler defaults"): work stealing,
/// `default_workers()` workers, `scheduler.max-throughput` = `default_max_throughput`,
/// `work-stealing.moderate-poll-attempts` = `default_moderate_poll_attempts`.
class config : public caf::actor_system_config {
public:
  /// Messages an actor may consume per scheduling turn. Bounding it keeps one busy actor
  /// (a spawner, a broker) from starving the others and livelocking work stealing; 30 kept a
  /// batch spawner's memory at a third of 100's for 10% less message throughput.
  static constexpr size_t default_max_throughput = 30;

  /// One worker per core but one (at least one): the spare core runs main, CAF's clock and
  /// I/O threads, and every measured case ran as fast or faster than with a worker per core,
  /// because a message between workers costs a wake-up of an idle core.
  static size_t default_workers();

  /// CAF's idle workers poll in 50 µs sleeps for 500 attempts before they block on a condition
  /// variable that a sender from another thread signals; each sleep really lasts about 110 µs,
  /// and a message from a timer, main or the network's I/O thread waits it out. 0 goes
  /// straight from the (sleepless) aggressive polling to blocking: a remote round trip fell
  /// from 273 to 111 µs, local cases unchanged. With several workers, an idle one then looks
  /// for work to steal every `work-stealing.relaxed-sleep-duration` (10 ms).
  static constexpr size_t default_moderate_poll_attempts = 0;

  /// How long a coroutine's `request` waits when the caller names no timeout.
  static constexpr std::chrono::seconds default_request_timeout{10};

  config();

  /// Parses a program's command line (and config file) with CAF's option parsing.
  /// On `--help` it prints `about`, then the options, and returns 0; on a bad or unexpected
  /// argument it names it on stderr and returns 2. Returns nullopt when the program should run.
  std::optional<int> parse_command_line(int argc, char** argv, std::string_view about);

  /// Makes an extension for a starting system (see `troupe/extension.hpp`).
  using extension_factory = std::function<std::unique_ptr<extension>(troupe::system&)>;

  /// Adds a layer that every system started from this configuration creates once its engine
  /// runs, in the order added, and stops before its engine goes (the network layer's
  /// `troupe::net::enable(cfg)` calls it). Call it before the system starts.
  void add_extension(extension_factory make);

  /// The factories given to `add_extension`, in order.
  const std::vector<extension_factory>& extensions() const noexcept { return extensions_; }

  /// The value of `troupe.request-timeout`.
  caf::timespan request_timeout = default_request_timeout;

private:
  std::vector<extension_factory> extensions_;
};

} // namespace troupe
