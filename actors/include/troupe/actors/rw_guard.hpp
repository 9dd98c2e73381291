#pragma once

#include <cstdint>
#include <optional>
#include <string>

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

/// Who goes first when readers and writers both wait (`rw_guard::spawn`).
enum class rw_policy : uint8_t {
  /// A read is granted whenever no writer holds the resource, even if writers wait: the most
  /// concurrency, but a steady stream of readers starves writers.
  readers_preference,
  /// No read is granted while a writer waits: writers never starve, readers may.
  writers_preference,
  /// Strict arrival order: consecutive reads at the head share the resource, a write waits
  /// for the leases before it. Nobody starves.
  fair,
};

/// Returns the name of `x`, e.g. "fair".
std::string to_string(rw_policy x);

/// What a rw_guard reports about one resource (`rw_guard::stats`).
struct rw_stats {
  /// Read leases held now.
  int32_t readers = 0;
  /// Whether a write lease is held now.
  bool writer = false;
  /// Acquires waiting now.
  uint64_t waiting = 0;
  /// Leases granted so far (all resources).
  uint64_t granted = 0;
  /// Leases revoked because their lease timeout passed (all resources).
  uint64_t expired = 0;
  /// Leases released because their holder terminated (all resources).
  uint64_t reclaimed = 0;
};

/// Lets CAF print and serialize `rw_stats`.
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, rw_stats& x) {
  return f(caf::meta::type_name("troupe.actors.RwStats"), x.readers, x.writer, x.waiting, x.granted,
           x.expired, x.reclaimed);
}

/// A readers/writer guard actor: read leases (shared) and write leases (exclusive) on named
/// resources, granted by a `rw_policy`.
///
/// A lease belongs to the actor that acquired it, one per resource: it ends by `release`, when
/// its holder terminates, or, with a lease timeout, when that passes (the holder's `release`
/// then gets `lease_expired`). Plain CAF clients send `(acquire_read_atom, resource)`,
/// `(acquire_write_atom, resource)`, `(acquire_within_atom, timespan, bool write, resource)`,
/// `(release_atom, resource)` (replies: empty) and `(stats_atom, resource)` (reply: `rw_stats`).
///
/// Remote clients (other processes, other languages) send the Protobuf requests of
/// proto/troupe/actors/rw_guard.proto instead, through troupe::net (see
/// `troupe::actors::register_protocols`); local clients never pay for that.
class rw_guard {
public:
  /// `(acquire_read_atom, std::string resource)`: waits for a read lease.
  using acquire_read_atom = caf::atom_constant<caf::atom("rw_read")>;
  /// `(acquire_write_atom, std::string resource)`: waits for the write lease.
  using acquire_write_atom = caf::atom_constant<caf::atom("rw_write")>;
  /// `(acquire_within_atom, timespan, bool write, std::string resource)`: an acquire that gives
  /// up with `timeout`.
  using acquire_within_atom = caf::atom_constant<caf::atom("rw_acqwi")>;
  /// `(release_atom, std::string resource)`: ends the sender's lease. Errors: `not_holder`,
  /// `lease_expired`.
  using release_atom = caf::atom_constant<caf::atom("rw_rel")>;
  /// `(stats_atom, std::string resource)`: replies with `rw_stats`.
  using stats_atom = caf::atom_constant<caf::atom("rw_stats")>;

  /// Spawns a guard with `policy`; with `lease_timeout`, a lease not released in time is
  /// revoked. Error: `invalid_argument` for a lease timeout that is not positive.
  static caf::expected<rw_guard> spawn(troupe::system& sys, rw_policy policy,
                                       std::optional<caf::timespan> lease_timeout = std::nullopt);

  /// A client for an existing guard actor.
  explicit rw_guard(caf::actor handle) noexcept : handle_(std::move(handle)) {}

  /// The guard actor.
  const caf::actor& handle() const noexcept { return handle_; }

  /// Awaits a read lease on `resource` (`expected<void>`), giving up with `timeout` after
  /// `wait`. Error: `invalid_argument` if this actor holds a lease on it already.
  auto acquire_read(co_actor& self, std::string resource, caf::timespan wait) const {
    return self.request<>(handle_, wait + wait_grace, acquire_within_atom::value, wait, false,
                          std::move(resource));
  }

  /// `acquire_read` with the system's request timeout as the wait limit.
  auto acquire_read(co_actor& self, std::string resource) const {
    return acquire_read(self, std::move(resource), default_wait_limit(self));
  }

  /// Awaits the write lease on `resource`, giving up with `timeout` after `wait`.
  auto acquire_write(co_actor& self, std::string resource, caf::timespan wait) const {
    return self.request<>(handle_, wait + wait_grace, acquire_within_atom::value, wait, true,
                          std::move(resource));
  }

  /// `acquire_write` with the system's request timeout as the wait limit.
  auto acquire_write(co_actor& self, std::string resource) const {
    return acquire_write(self, std::move(resource), default_wait_limit(self));
  }

  /// Ends this actor's lease on `resource`.
  auto release(co_actor& self, std::string resource) const {
    return self.request<>(handle_, release_atom::value, std::move(resource));
  }

  /// The guard's counters for `resource`.
  auto stats(co_actor& self, std::string resource) const {
    return self.request<rw_stats>(handle_, stats_atom::value, std::move(resource));
  }

private:
  caf::actor handle_;
};

} // namespace troupe::actors
