#pragma once

// Wait limits and lease timeouts for pattern actors.
//
// Two costs shape it. CAF's clock holds a strong reference to whoever it delivers to until the
// time comes (a delayed_send, a request timeout), so a pending 10 s wait limit would keep a
// buffer that nobody uses alive for 10 s and make shutdown wait for it: the clock delivers to
// a hidden relay instead, which holds the pattern actor weakly. And every event scheduled on
// CAF's clock takes its mutex and wakes its thread (in bench/'s buffer case, finite request
// timeouts made plain CAF use 2.4x the CPU): so an actor keeps its own deadlines in order and
// has at most one event on the clock, for the earliest.

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

/// A pattern actor's timers: after `arm(self, delay, id)`, the actor receives
/// `(expire_atom, token)`; `due(self, token)` then returns the ids whose time has come.
/// `cancel(id)` forgets a timer whose request was answered; an id that is due but no longer
/// waits (a path that does not cancel) is ignored by the actor.
class timer {
public:
  /// The message that tells the actor to ask `due`, with a token.
  using expire_atom = caf::atom_constant<caf::atom("tr_expire")>;

  timer() = default;
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;
  /// Lets go of the relay without a message: it is freed once the event it still waits for
  /// has fired (or the clock dropped it at shutdown). An exit message sent from here could
  /// reach a relay after the scheduler stopped, when the owner is destroyed late, and leak it.
  ~timer() = default;

  /// Makes `id` due after `delay`.
  void arm(caf::local_actor* self, caf::timespan delay, uint64_t id);

  /// Forgets the timer of `id`, if it has one.
  void cancel(uint64_t id);

  /// The ids due now, oldest deadline first, for the `(expire_atom, token)` that arrived;
  /// empty for a token of an event that was superseded by an earlier one.
  std::vector<uint64_t> due(caf::local_actor* self, uint64_t token);

private:
  using time_point = caf::actor_clock::time_point;

  void schedule(caf::local_actor* self, time_point when);

  std::multimap<time_point, uint64_t> pending_;
  std::unordered_map<uint64_t, std::multimap<time_point, uint64_t>::iterator> by_id_;
  /// When the one event on the clock fires, and its token.
  std::optional<time_point> armed_;
  uint64_t token_ = 0;
  caf::actor relay_;
};

} // namespace troupe::actors::detail
