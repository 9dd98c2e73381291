#pragma once

// Wait limits and lease timeouts for pattern actors, without keeping an actor alive: CAF's
// clock holds a strong reference to whoever it delivers to until the time comes (a
// delayed_send, a request timeout), so a pending 10 s wait limit would keep a buffer that
// nobody uses alive for 10 s and make shutdown wait for it. The clock delivers to a hidden
// relay instead, which holds the pattern actor weakly.

#include <cstdint>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

namespace troupe::actors::detail {

/// A pattern actor's timer: `arm(self, delay, id)` makes `(expire_atom, id)` arrive at
/// `self` after `delay`, unless `self` has exited by then. Timers are not cancelled: the
/// actor ignores ids it no longer waits for.
class timer {
public:
  /// The message an expired timer delivers, with its id.
  using expire_atom = caf::atom_constant<caf::atom("tr_expire")>;

  timer() = default;
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;
  ~timer();

  /// Delivers `(expire_atom, id)` to `self` after `delay`.
  void arm(caf::local_actor* self, caf::timespan delay, uint64_t id);

private:
  caf::actor relay_;
};

} // namespace troupe::actors::detail
