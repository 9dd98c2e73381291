#pragma once

#include <cstdint>
#include <optional>
#include <vector>

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

/// Amounts of each of the m resource types.
using resource_vector = std::vector<int32_t>;

/// Dijkstra's safety check: the order in which every client can obtain its whole remaining
/// need (`max[i] - allocation[i]`) and then give everything back, starting from `available`,
/// or nullopt if there is none (the state is unsafe). Clients are scanned in index order, pass
/// after pass, as in the textbook (Silberschatz' 5x3 example gives P1, P3, P4, P0, P2).
/// Vectors of different lengths make the state unsafe.
std::optional<std::vector<size_t>>
find_safe_sequence(const resource_vector& available, const std::vector<resource_vector>& max,
                   const std::vector<resource_vector>& allocation);

/// One client of a banker, as `banker_snapshot` shows it.
struct banker_client {
  /// The client's number: the order in which clients declared their claims, from 0.
  uint32_t index = 0;
  /// Its declared maximum claim.
  resource_vector max;
  /// What it holds now.
  resource_vector allocation;
  /// Whether a request of it waits now.
  bool waiting = false;
};

/// Lets CAF print and serialize `banker_client`.
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, banker_client& x) {
  return f(caf::meta::type_name("troupe.actors.BankerClient"), x.index, x.max, x.allocation,
           x.waiting);
}

/// The state of a banker (`banker::snapshot`).
struct banker_snapshot {
  /// The total of each resource.
  resource_vector total;
  /// What is free now.
  resource_vector available;
  /// The clients that declared a claim, in declaration order.
  std::vector<banker_client> clients;
  /// A safe sequence of the current state, as indices into `clients`.
  std::vector<uint32_t> safe_sequence;
  /// Requests granted, deferred at least once, and allocations reclaimed from terminated
  /// clients, so far.
  uint64_t granted = 0;
  uint64_t deferred = 0;
  uint64_t reclaimed = 0;
};

/// Lets CAF print and serialize `banker_snapshot`.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, banker_snapshot& x) {
  return f(caf::meta::type_name("troupe.actors.BankerSnapshot"), x.total, x.available, x.clients,
           x.safe_sequence, x.granted, x.deferred, x.reclaimed);
}

/// A Banker's algorithm actor (Dijkstra) for m resource types and any number of clients.
///
/// A client (an actor) declares its maximum claim, then requests and releases amounts. A
/// request is granted only if the state after it is safe; otherwise it waits and is
/// re-examined whenever resources come back. A request beyond the client's claim, or a claim
/// beyond the total, is refused. A terminated client's allocation is reclaimed. Plain CAF
/// clients send `(claim_atom, resource_vector)`, `(request_atom, resource_vector)`,
/// `(request_within_atom, timespan, resource_vector)`, `(release_atom, resource_vector)`,
/// `leave_atom` (replies: empty) and `snapshot_atom` (reply: `banker_snapshot`).
///
/// Remote clients (other processes, other languages) send the Protobuf requests of
/// proto/troupe/actors/banker.proto instead, through troupe::net (see
/// `troupe::actors::register_protocols`); local clients never pay for that.
class banker {
public:
  /// `(claim_atom, max)`: declares the sender's maximum claim. Errors: `over_total`,
  /// `invalid_argument` (wrong length, negative, or a new claim while holding resources).
  using claim_atom = caf::atom_constant<caf::atom("bk_claim")>;
  /// `(request_atom, amounts)`: waits until granting them leaves the state safe. Errors:
  /// `unknown_client`, `over_claim`, `invalid_argument`.
  using request_atom = caf::atom_constant<caf::atom("bk_req")>;
  /// `(request_within_atom, timespan, amounts)`: `request` that gives up with `timeout`.
  using request_within_atom = caf::atom_constant<caf::atom("bk_reqwi")>;
  /// `(release_atom, amounts)`: gives back part of the allocation. Errors: `not_holder`,
  /// `unknown_client`, `invalid_argument`.
  using release_atom = caf::atom_constant<caf::atom("bk_rel")>;
  /// `leave_atom`: gives back everything and withdraws the claim.
  using leave_atom = caf::atom_constant<caf::atom("bk_leave")>;
  /// `snapshot_atom`: replies with `banker_snapshot`.
  using snapshot_atom = caf::atom_constant<caf::atom("bk_snap")>;

  /// Spawns a banker of `total` units per resource type. Error: `invalid_argument` for no
  /// resource types or a negative total.
  static caf::expected<banker> spawn(troupe::system& sys, resource_vector total);

  /// A client for an existing banker actor.
  explicit banker(caf::actor handle) noexcept : handle_(std::move(handle)) {}

  /// The banker actor.
  const caf::actor& handle() const noexcept { return handle_; }

  /// Declares this actor's maximum claim.
  auto claim(co_actor& self, resource_vector max) const {
    return self.request<>(handle_, claim_atom::value, std::move(max));
  }

  /// Awaits `amounts` (`expected<void>`), giving up with `timeout` after `wait`.
  auto request(co_actor& self, resource_vector amounts, caf::timespan wait) const {
    return self.request<>(handle_, wait + wait_grace, request_within_atom::value, wait,
                          std::move(amounts));
  }

  /// `request` with the system's request timeout as the wait limit.
  auto request(co_actor& self, resource_vector amounts) const {
    return request(self, std::move(amounts), default_wait_limit(self));
  }

  /// Gives back `amounts`.
  auto release(co_actor& self, resource_vector amounts) const {
    return self.request<>(handle_, release_atom::value, std::move(amounts));
  }

  /// Gives back everything and withdraws the claim.
  auto leave(co_actor& self) const { return self.request<>(handle_, leave_atom::value); }

  /// The banker's state.
  auto snapshot(co_actor& self) const {
    return self.request<banker_snapshot>(handle_, snapshot_atom::value);
  }

private:
  caf::actor handle_;
};

} // namespace troupe::actors
