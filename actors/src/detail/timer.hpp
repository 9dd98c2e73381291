#pragma once

// Wait limits and lease timeouts for pattern actors.
//
// Two costs shape it. CAF's clock holds a strong reference to whoever it delivers to until the
// time comes (a delayed_send, a request timeout), so a pending 10 s wait limit would keep a
// buffer that nobody uses alive for 10 s and make shutdown wait for it: the clock delivers to
// a hidden relay instead, which holds the pattern actor weakly. And every event scheduled on
// CAF's clock takes its mutex and wakes its thread (in bench/'s buffer case, finite request
// timeouts made plain CAF use 2.4x the CPU): so an actor keeps its own deadlines and has at
// most one event on the clock, for the earliest (`wakeup`). `timer` keeps them by id, in order;
// an actor whose waits are nearly all served before their limit keeps each deadline with its
// wait instead (no allocation per wait; bounded_buffer) and uses `wakeup` alone.

#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

namespace troupe::actors::detail {

/// The one event a pattern actor keeps on CAF's clock: after `at(self, when)`, the actor
/// receives `(expire_atom, token)` no later than `when`; `take(token)` tells whether that is the
/// current event (an earlier `at` supersedes a later one). An actor that keeps its deadlines
/// itself asks for the earliest and, when it comes, looks which have passed.
class wakeup {
public:
  /// The message that tells the actor its wake-up came, with a token.
  using expire_atom = caf::atom_constant<caf::atom("tr_expire")>;
  using time_point = caf::actor_clock::time_point;

  wakeup() = default;
  wakeup(const wakeup&) = delete;
  wakeup& operator=(const wakeup&) = delete;
  /// Lets go of the relay without a message: it is freed once the event it still waits for
  /// has fired (or the clock dropped it at shutdown). An exit message sent from here could
  /// reach a relay after the scheduler stopped, when the owner is destroyed late, and leak it.
  ~wakeup() = default;

  /// Makes sure an event comes no later than `when`: schedules one unless the armed one does.
  void at(caf::local_actor* self, time_point when);

  /// Whether `token` is the armed event's; if so, nothing is armed anymore.
  bool take(uint64_t token) noexcept;

private:
  /// When the one event on the clock that counts fires (older ones carry older tokens).
  std::optional<time_point> armed_;
  uint64_t token_ = 0;
  caf::actor relay_;
};

/// A pattern actor's timers by id: after `arm(self, delay, id)`, the actor receives
/// `(expire_atom, token)`; `due(self, token)` then returns the ids whose time has come.
/// `cancel(id)` forgets a timer whose request was answered; an id that is due but no longer
/// waits (a path that does not cancel) is ignored by the actor.
class timer {
public:
  /// The message that tells the actor to ask `due`, with a token.
  using expire_atom = wakeup::expire_atom;

  /// Makes `id` due after `delay`.
  void arm(caf::local_actor* self, caf::timespan delay, uint64_t id);

  /// Forgets the timer of `id`, if it has one.
  void cancel(uint64_t id);

  /// The ids due now, oldest deadline first, for the `(expire_atom, token)` that arrived;
  /// empty for a token of an event that was superseded by an earlier one.
  std::vector<uint64_t> due(caf::local_actor* self, uint64_t token);

private:
  using time_point = caf::actor_clock::time_point;

  std::multimap<time_point, uint64_t> pending_;
  std::unordered_map<uint64_t, std::multimap<time_point, uint64_t>::iterator> by_id_;
  wakeup wakeup_;
};

} // namespace troupe::actors::detail
