#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace troupe::detail {

/// The deadline of a coroutine actor's current wait (a timed receive or a request), kept with
/// at most one event on CAF's clock per actor.
///
/// Why not one clock event per wait: every event scheduled on CAF 0.17's clock takes its mutex
/// and wakes its thread, and a request timeout is never cancelled by the reply: it stays in the
/// clock, holding the requester, until it fires. With a 10-minute timeout per request, bench/'s
/// buffer case spent more CPU in the clock thread than in all actors together. An actor waits
/// for one thing at a time, so one event suffices: a wait whose deadline is no earlier than
/// the armed event needs none of its own; when that event comes, the actor arms one for the
/// wait that is current then. Pure logic: the owner schedules the events and delivers them.
class deadline_timer {
public:
  /// CAF's `actor_clock::time_point`.
  using time_point = std::chrono::steady_clock::time_point;

  /// A clock event to schedule: when it fires, and the token that it must carry back.
  struct event {
    time_point when;
    uint64_t token;
  };

  /// What a clock event that came back means.
  struct fired {
    /// The current wait's deadline has passed: end the wait as timed out.
    bool expired = false;
    /// The current wait ends later: schedule this event for it.
    std::optional<event> rearm;
  };

  /// Begins a wait that ends at `due`; returns the event to schedule, or nullopt when the
  /// armed one fires no later than `due`.
  std::optional<event> start(time_point due) noexcept {
    due_ = due;
    if (armed_ && *armed_ <= due)
      return std::nullopt;
    return arm(due);
  }

  /// Ends the current wait (it got what it waited for). The armed event stays on the clock:
  /// cancelling it would cost what it saves; it may serve the next wait.
  void stop() noexcept { due_.reset(); }

  /// Whether a wait with a deadline is current.
  bool waiting() const noexcept { return due_.has_value(); }

  /// Handles the event `token` that came back at `now`. An event superseded by an earlier one
  /// is ignored; an expired wait is over (`waiting()` is false afterwards).
  fired fire(uint64_t token, time_point now) noexcept {
    fired result;
    if (!armed_ || token != token_)
      return result;
    armed_.reset();
    if (!due_)
      return result;
    if (*due_ <= now) {
      due_.reset();
      result.expired = true;
      return result;
    }
    result.rearm = arm(*due_);
    return result;
  }

private:
  event arm(time_point when) noexcept {
    armed_ = when;
    return {when, ++token_};
  }

  /// The deadline of the current wait, if it has one.
  std::optional<time_point> due_;
  /// When the one event on the clock that counts fires (older ones carry older tokens).
  std::optional<time_point> armed_;
  uint64_t token_ = 0;
};

} // namespace troupe::detail
