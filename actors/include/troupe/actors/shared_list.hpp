#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>

#include "troupe/actors/value.hpp"
#include "troupe/co_actor.hpp"

namespace troupe {
class system;
} // namespace troupe

namespace troupe::actors {

/// A list's items, as `shared_list::snapshot` returns them.
using list_items = std::vector<value>;

/// Python's `repr` of a list: `[9, 8, 7]`.
std::string repr(const list_items& items);

/// A list shared by actors, replacing Python's `Manager().list()`: one actor, so every
/// operation (a whole `reverse` included) is atomic.
///
/// Plain CAF clients send `(append_atom, value)`, `reverse_atom`, `(at_atom, int64_t i)`
/// (reply: value), `pop_atom` (reply: the last value), `size_atom` (reply: `uint64_t`) and
/// `snapshot_atom` (reply: `list_items`). Negative indexes count from the end, as in Python.
///
/// Remote clients (other processes, other languages) send the Protobuf requests of
/// proto/troupe/actors/shared_dict.proto instead, through troupe::net (see
/// `troupe::actors::register_protocols`); local clients never pay for that.
class shared_list {
public:
  /// `(append_atom, value)`: adds at the end.
  using append_atom = caf::atom_constant<caf::atom("list_app")>;
  /// `reverse_atom`: reverses in place.
  using reverse_atom = caf::atom_constant<caf::atom("list_rev")>;
  /// `(at_atom, i)`: the item at `i`. Error: `index_out_of_range`.
  using at_atom = caf::atom_constant<caf::atom("list_at")>;
  /// `pop_atom`: removes and returns the last item. Error: `empty_list`.
  using pop_atom = caf::atom_constant<caf::atom("list_pop")>;
  /// `size_atom`: the number of items.
  using size_atom = caf::atom_constant<caf::atom("list_size")>;
  /// `snapshot_atom`: all items.
  using snapshot_atom = caf::atom_constant<caf::atom("list_snap")>;

  /// Spawns a list holding `items` (Python's `manager.list(range(10))`).
  static shared_list spawn(troupe::system& sys, list_items items = {});

  /// A client for an existing list actor.
  explicit shared_list(caf::actor handle) noexcept : handle_(std::move(handle)) {}

  /// The list actor.
  const caf::actor& handle() const noexcept { return handle_; }

  /// Adds `x` at the end: `expected<void>`.
  auto append(co_actor& self, value x) const {
    return self.request<>(handle_, append_atom::value, std::move(x));
  }

  /// Reverses the list: `expected<void>`.
  auto reverse(co_actor& self) const { return self.request<>(handle_, reverse_atom::value); }

  /// The item at `i`: `expected<value>`.
  auto at(co_actor& self, int64_t i) const {
    return self.request<value>(handle_, at_atom::value, i);
  }

  /// Removes the last item: `expected<value>`.
  auto pop(co_actor& self) const { return self.request<value>(handle_, pop_atom::value); }

  /// The number of items: `expected<uint64_t>`.
  auto size(co_actor& self) const { return self.request<uint64_t>(handle_, size_atom::value); }

  /// All items: `expected<list_items>`.
  auto snapshot(co_actor& self) const {
    return self.request<list_items>(handle_, snapshot_atom::value);
  }

private:
  caf::actor handle_;
};

} // namespace troupe::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::list_items)
