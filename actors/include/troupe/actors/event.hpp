#pragma once

#include <chrono>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/timespan.hpp>

#include "troupe/actors/error.hpp"
#include "troupe/actors/wait_limit.hpp"
#include "troupe/co_actor.hpp"

namespace troupe {
class system;
} // namespace troupe

namespace troupe::actors {

/// An event actor, like Python's `asyncio.Event`: `wait` is answered once the flag is set
/// (at once if it is set already), `set` wakes every waiter, `clear` resets the flag.
/// Plain CAF clients send `wait_atom`, `(wait_within_atom, timespan)`, `set_atom`,
/// `clear_atom` (replies: empty) and `is_set_atom` (reply: bool).
///
/// Remote clients (other processes, other languages) send the Protobuf requests of
/// proto/troupe/actors/event.proto instead, through troupe::net (see
/// `troupe::actors::register_protocols`); local clients never pay for that.
class event {
public:
  /// `wait_atom`: waits until the flag is set.
  using wait_atom = caf::atom_constant<caf::atom("ev_wait")>;
  /// `(wait_within_atom, timespan)`: `wait` that gives up with `timeout`.
  using wait_within_atom = caf::atom_constant<caf::atom("ev_waitwi")>;
  /// `set_atom`: sets the flag and answers every waiter.
  using set_atom = caf::atom_constant<caf::atom("ev_set")>;
  /// `clear_atom`: clears the flag.
  using clear_atom = caf::atom_constant<caf::atom("ev_clear")>;
  /// `is_set_atom`: replies whether the flag is set.
  using is_set_atom = caf::atom_constant<caf::atom("ev_isset")>;

  /// Spawns an event whose flag is clear.
  static event spawn(troupe::system& sys);

  /// A client for an existing event actor.
  explicit event(caf::actor handle) noexcept : handle_(std::move(handle)) {}

  /// The event actor.
  const caf::actor& handle() const noexcept { return handle_; }

  /// Awaits the flag (`expected<void>`), giving up with `timeout` after `limit`.
  auto wait(co_actor& self, caf::timespan limit) const {
    return self.request<>(handle_, limit + wait_grace, wait_within_atom::value, limit);
  }

  /// `wait` with the system's request timeout as the limit.
  auto wait(co_actor& self) const { return wait(self, default_wait_limit(self)); }

  /// Sets the flag.
  auto set(co_actor& self) const { return self.request<>(handle_, set_atom::value); }

  /// Clears the flag.
  auto clear(co_actor& self) const { return self.request<>(handle_, clear_atom::value); }

  /// Whether the flag is set: `expected<bool>`.
  auto is_set(co_actor& self) const { return self.request<bool>(handle_, is_set_atom::value); }

private:
  caf::actor handle_;
};

} // namespace troupe::actors
