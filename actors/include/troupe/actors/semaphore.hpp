#pragma once

#include <chrono>
#include <cstdint>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "troupe/actors/error.hpp"
#include "troupe/actors/wait_limit.hpp"
#include "troupe/co_actor.hpp"

namespace troupe {
class system;
} // namespace troupe

namespace troupe::actors {

/// What a semaphore reports about itself (`semaphore::stats`).
struct semaphore_stats {
  /// Permits the semaphore was created with.
  int32_t permits = 0;
  /// Permits free now.
  int32_t available = 0;
  /// Acquires waiting now.
  uint64_t waiting = 0;
  /// Acquires granted so far.
  uint64_t granted = 0;
  /// Permits given back because their holder terminated.
  uint64_t reclaimed = 0;
};

/// Lets CAF print and serialize `semaphore_stats`.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, semaphore_stats& x) {
  return f(caf::meta::type_name("troupe.actors.SemaphoreStats"), x.permits, x.available, x.waiting,
           x.granted, x.reclaimed);
}

/// A counting semaphore actor, like Python's `asyncio.Semaphore`; a mutex is a semaphore of 1.
///
/// Acquires are granted in arrival order (a large acquire at the head is not overtaken by
/// smaller ones, so none starves). Each actor's permits are counted: only a holder may
/// release, and the permits of a holder that terminates are returned at once.
/// Plain CAF clients send `(acquire_atom, int32_t n)`, `(acquire_within_atom, timespan,
/// int32_t n)`, `(try_acquire_atom, int32_t n)` (reply: bool), `(release_atom, int32_t n)`
/// and `stats_atom` (reply: `semaphore_stats`); the other replies are empty.
///
/// Remote clients (other processes, other languages) send the Protobuf requests of
/// proto/troupe/actors/semaphore.proto instead, through troupe::net (see
/// `troupe::actors::register_protocols`); local clients never pay for that.
class semaphore {
public:
  /// `(acquire_atom, n)`: waits for `n` permits. Error: `invalid_argument` if `n` is not in
  /// 1..permits (it could never be granted).
  using acquire_atom = caf::atom_constant<caf::atom("sem_acq")>;
  /// `(acquire_within_atom, timespan, n)`: `acquire` that gives up with `timeout`.
  using acquire_within_atom = caf::atom_constant<caf::atom("sem_acqwi")>;
  /// `(try_acquire_atom, n)`: takes `n` permits if free now and nobody waits; replies bool.
  using try_acquire_atom = caf::atom_constant<caf::atom("sem_try")>;
  /// `(release_atom, n)`: gives back `n` permits. Error: `not_holder` if the sender holds
  /// fewer, `invalid_argument` if `n` < 1.
  using release_atom = caf::atom_constant<caf::atom("sem_rel")>;
  /// `stats_atom`: replies with `semaphore_stats`.
  using stats_atom = caf::atom_constant<caf::atom("sem_stats")>;

  /// Spawns a semaphore with `permits` permits. Error: `invalid_argument` if `permits` < 1.
  static caf::expected<semaphore> spawn(troupe::system& sys, int32_t permits);

  /// A client for an existing semaphore actor.
  explicit semaphore(caf::actor handle) noexcept : handle_(std::move(handle)) {}

  /// The semaphore actor.
  const caf::actor& handle() const noexcept { return handle_; }

  /// Awaits `n` permits (`expected<void>`), giving up with `timeout` after `wait`.
  auto acquire(co_actor& self, int32_t n, caf::timespan wait) const {
    return self.request<>(handle_, wait + wait_grace, acquire_within_atom::value, wait, n);
  }

  /// Awaits one permit, with the system's request timeout as the wait limit.
  auto acquire(co_actor& self) const { return acquire(self, 1, default_wait_limit(self)); }

  /// Takes `n` permits only if that needs no waiting: `expected<bool>`.
  auto try_acquire(co_actor& self, int32_t n = 1) const {
    return self.request<bool>(handle_, try_acquire_atom::value, n);
  }

  /// Gives back `n` permits this actor holds.
  auto release(co_actor& self, int32_t n = 1) const {
    return self.request<>(handle_, release_atom::value, n);
  }

  /// The semaphore's counters.
  auto stats(co_actor& self) const {
    return self.request<semaphore_stats>(handle_, stats_atom::value);
  }

private:
  caf::actor handle_;
};

} // namespace troupe::actors
