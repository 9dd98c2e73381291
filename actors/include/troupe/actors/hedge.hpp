#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>
#include <caf/timespan.hpp>

#include "troupe/co_actor.hpp"
#include "troupe/system.hpp"

namespace troupe::actors {

/// Errors of hedged and retried requests, in the category `hedge_error_category`.
enum class hedge_error : uint8_t {
  /// No copy succeeded before the deadline (the context counts the copies sent).
  deadline_exceeded = 1,
  /// Every copy allowed was sent and failed before the deadline (the context holds the last
  /// copy's error).
  attempts_exhausted,
  /// No targets, no attempts allowed, or a deadline that is not positive.
  invalid_argument,
};

/// The CAF error category of `hedge_error`.
constexpr caf::atom_value hedge_error_category = caf::atom("hedge");

/// Returns the name of `x`, e.g. "deadline_exceeded".
std::string to_string(hedge_error x);

/// Wraps `x` into a `caf::error` (found by CAF through argument-dependent lookup).
caf::error make_error(hedge_error x);

/// Wraps `x` into a `caf::error` with a context message that explains it.
caf::error make_error(hedge_error x, std::string context);

/// Whether `err` is the hedge error `x`.
bool is(const caf::error& err, hedge_error x) noexcept;

/// How a request is copied to its targets under a deadline.
///
/// Copy k goes to `targets[k % targets.size()]`. A new copy is sent every `hedge_delay` while
/// fewer than `max_in_flight` are outstanding, and (with `replace_failed`) at once when one
/// fails, until `max_attempts` copies were sent. The first success is the answer; replies
/// that come later are ignored.
struct hedge_options {
  /// The whole call ends by then: with the first success, or with `deadline_exceeded`.
  caf::timespan deadline = std::chrono::seconds{1};
  /// The wait before each further copy; zero sends `max_in_flight` copies at once.
  caf::timespan hedge_delay = caf::timespan{0};
  /// Copies sent in all, first one included.
  uint32_t max_attempts = 3;
  /// Copies outstanding at once.
  uint32_t max_in_flight = 3;
  /// Whether a failed copy is replaced by a new one at once (while attempts remain).
  bool replace_failed = true;

  /// Sequential retry: one copy at a time, the next one as soon as the previous failed.
  static hedge_options sequential(caf::timespan deadline, uint32_t max_attempts) {
    return {deadline, caf::timespan{0}, max_attempts, 1, true};
  }

  /// Hedging: up to `in_flight` copies at once, one more every `delay`, failed ones replaced.
  static hedge_options hedged(caf::timespan deadline, uint32_t max_attempts, uint32_t in_flight,
                              caf::timespan delay) {
    return {deadline, delay, max_attempts, in_flight, true};
  }
};

/// Hedged requests: the same request to one or more targets, the first success wins.
///
/// `hedge::spawn` starts an actor for one call; a `run_atom` request to it answers with the
/// winning reply (as the target sent it) or the error. From a coroutine actor,
/// `co_await hedge::request<R>(self, targets, options, xs...)` does both and yields
/// `caf::expected<R>`. Waiting suspends the caller; copies run as actors of their own, each
/// with a request timeout at the deadline, so a late reply cannot reach the caller.
class hedge {
public:
  /// `run_atom`: starts the call; the reply is the first success or the error. Only once.
  using run_atom = caf::atom_constant<caf::atom("hedge_run")>;

  /// How much longer than the deadline a caller waits for the hedge actor, which answers at
  /// the deadline itself.
  static constexpr std::chrono::seconds grace{1};

  /// Checks `targets` and `opts`. Error: `invalid_argument`.
  static caf::error check(const std::vector<caf::actor>& targets, const hedge_options& opts);

  /// Spawns the actor for one call of `msg` to `targets`; the deadline counts from its
  /// `run_atom` request. Error: `invalid_argument` (nothing is spawned then).
  static caf::expected<caf::actor> spawn(troupe::system& sys, std::vector<caf::actor> targets,
                                         hedge_options opts, caf::message msg);

  /// Sends `xs...` as hedged by `opts` and awaits `caf::expected<Rs...>` as `co_actor::request`
  /// does. Errors: the `hedge_error`s, or the reply's own error type mismatch
  /// (`sec::unexpected_response`).
  template <class... Rs, class... Ts>
  static co_actor::request_awaiter<Rs...> request(co_actor& self, std::vector<caf::actor> targets,
                                                  hedge_options opts, Ts&&... xs) {
    auto deadline = opts.deadline;
    auto worker =
      spawn(self.system(), std::move(targets), opts, caf::make_message(std::forward<Ts>(xs)...));
    if (!worker)
      return {self, std::move(worker.error())};
    return self.request<Rs...>(*worker, deadline + grace, run_atom::value);
  }
};

} // namespace troupe::actors
