#pragma once

#include <chrono>

#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>

namespace troupe::detail {

/// Where the deadline of a wait (a request, a timed receive, a pattern actor's wait limit)
/// starts from: the actor clock's `now()`, or for a long wait a cheaper reading of the same time.
///
/// Why: a coroutine actor starts a deadline on every request, a bounded buffer on every take
/// that waits, and on our 2-core VM a steady-clock reading costs 30 to 50 ns (perf: 8 % of
/// bench's buffer case, 7 readings per item of which CAF itself takes 4). The kernel's coarse
/// clock (CLOCK_MONOTONIC_COARSE, the same timeline as `std::chrono::steady_clock`) costs 6 ns
/// but lags: by up to a tick normally, longer only when the CPU that keeps time stalls (a
/// preempted virtual CPU; the kernel lets another CPU take over after 5 ticks). Moved on by
/// `coarse_margin_ticks` ticks it is not early. A wait of ten seconds or more (the default
/// request timeout and wait limit, and longer) starts from it and may thus end up to 36 ms late
/// at 250 Hz, under 0.4 % of it; shorter waits, and any clock but CAF's real-time one (the
/// deterministic test clock), read the actor clock as before.
class wait_clock {
public:
  using time_point = caf::actor_clock::time_point;

  /// Waits at least this long start from the coarse clock.
  static constexpr std::chrono::seconds coarse_from{10};

  /// How many of its ticks the coarse clock is moved on.
  static constexpr int coarse_margin_ticks = 8;

  /// Reads deadlines for actors on `clock` (which must outlive this object).
  explicit wait_clock(const caf::actor_clock& clock) noexcept;

  /// When a wait of `limit` that starts now is due, its deadline's start: no earlier than
  /// `clock.now()`.
  time_point start_of(caf::timespan limit) const noexcept {
    if (coarse_tick_.count() > 0 && limit >= coarse_from)
      return coarse_now();
    return clock_->now();
  }

private:
  /// The coarse clock moved on by `coarse_margin_ticks` of its ticks.
  time_point coarse_now() const noexcept;

  const caf::actor_clock* clock_;
  /// The coarse clock's tick; zero if the coarse clock is not used.
  std::chrono::nanoseconds coarse_tick_{0};
};

} // namespace troupe::detail
