#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "troupe/actors/error.hpp"
#include "troupe/actors/wait_limit.hpp"
#include "troupe/co_actor.hpp"

namespace troupe {
class system;
} // namespace troupe

namespace troupe::actors {

/// A cyclic barrier actor for N parties, like Python's `threading.Barrier(parties, timeout)`.
///
/// Each party's `wait` is answered when the N-th party arrives, with its arrival index
/// (0..N-1, as Python's `wait()` returns); then the barrier is ready for the next round. The
/// barrier breaks when a party fails (every actor that ever waited is a party: one that is
/// killed or crashes, or one that exits while waiting; a party that exits normally between
/// rounds has finished), when a wait outlives its time limit, or on `abort`: every waiter, and
/// every later wait until `reset`, gets `broken_barrier`. Plain CAF clients send `wait_atom`,
/// `(wait_within_atom, timespan)` (reply: int32_t), `abort_atom`, `reset_atom` (reply: empty) and
/// `stats_atom` (reply: `(int32_t waiting, uint64_t rounds, bool broken)`).
///
/// Remote clients (other processes, other languages) send the Protobuf requests of
/// proto/troupe/actors/barrier.proto instead, through troupe::net (see
/// `troupe::actors::register_protocols`); local clients never pay for that.
class barrier {
public:
  /// `wait_atom`: waits for the round to fill. Reply: the arrival index. Error: `broken_barrier`.
  using wait_atom = caf::atom_constant<caf::atom("bar_wait")>;
  /// `(wait_within_atom, timespan)`: `wait` whose expiry breaks the barrier, as in Python.
  using wait_within_atom = caf::atom_constant<caf::atom("bar_waitwi")>;
  /// `abort_atom`: breaks the barrier.
  using abort_atom = caf::atom_constant<caf::atom("bar_abort")>;
  /// `reset_atom`: breaks the current round (its waiters get `broken_barrier`) and starts over.
  using reset_atom = caf::atom_constant<caf::atom("bar_reset")>;
  /// `stats_atom`: replies `(int32_t waiting, uint64_t rounds, bool broken)`.
  using stats_atom = caf::atom_constant<caf::atom("bar_stats")>;

  /// Spawns a barrier for `parties` parties; with `timeout`, a wait that names no limit of its
  /// own breaks the barrier after it. Error: `invalid_argument` if `parties` < 1.
  static caf::expected<barrier> spawn(troupe::system& sys, int32_t parties,
                                      std::optional<caf::timespan> timeout = std::nullopt);

  /// A client for an existing barrier actor.
  explicit barrier(caf::actor handle) noexcept : handle_(std::move(handle)) {}

  /// The barrier actor.
  const caf::actor& handle() const noexcept { return handle_; }

  /// Arrives and awaits the others: `expected<int32_t>`, the arrival index. After `limit`
  /// the barrier breaks. Error: `broken_barrier`.
  auto arrive_and_wait(co_actor& self, caf::timespan limit) const {
    return self.request<int32_t>(handle_, limit + wait_grace, wait_within_atom::value, limit);
  }

  /// `arrive_and_wait` with the system's request timeout as the limit.
  auto arrive_and_wait(co_actor& self) const {
    return arrive_and_wait(self, default_wait_limit(self));
  }

  /// Breaks the barrier.
  auto abort(co_actor& self) const { return self.request<>(handle_, abort_atom::value); }

  /// Makes a broken barrier usable again.
  auto reset(co_actor& self) const { return self.request<>(handle_, reset_atom::value); }

private:
  caf::actor handle_;
};

} // namespace troupe::actors
