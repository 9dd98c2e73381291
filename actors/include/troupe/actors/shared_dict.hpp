#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
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

/// A dictionary's items in insertion order, as `shared_dict::snapshot` returns them.
using dict_items = std::vector<std::pair<value, value>>;

/// Python's `repr` of a dict: `{1: '一', '二': 2, 0.25: None}`.
std::string repr(const dict_items& items);

/// One item of one shard, with the stamp that orders insertions across shards.
struct dict_entry {
  /// The key.
  value key;
  /// The value.
  value val;
  /// When the key was inserted (a later put of a present key keeps it, as in Python).
  uint64_t stamp = 0;
};

/// A key-value store shared by actors, replacing Python's `Manager().dict()`.
///
/// Keys are spread over `shards` actors by hash, so clients of different keys do not queue
/// behind one actor; a client sends straight to the key's shard (no extra hop). Each operation
/// on one key is atomic and linearizable: a shard handles one request at a time. `snapshot`
/// asks the shards one after another, so it is atomic per shard (and as a whole with one
/// shard); its items are in insertion order, as a Python dict's.
///
/// Plain CAF clients send to `shard_for(key)`: `(get_atom, key)` (reply:
/// `std::optional<value>`), `(put_atom, key, value)`, `(cas_atom, key, expected, desired)`
/// (both `std::optional<value>`, nullopt meaning absent; reply: bool), `(erase_atom, key)`
/// (reply: bool, whether it was there), and to every shard `entries_atom` (reply:
/// `std::vector<dict_entry>`) and `size_atom` (reply: `uint64_t`).
///
/// Remote clients (other processes, other languages) send the Protobuf requests of
/// proto/troupe/actors/shared_dict.proto instead, through troupe::net (see
/// `troupe::actors::register_protocols`); local clients never pay for that.
class shared_dict {
public:
  /// `(get_atom, key)`: the value, or nullopt.
  using get_atom = caf::atom_constant<caf::atom("dict_get")>;
  /// `(put_atom, key, value)`: sets the value.
  using put_atom = caf::atom_constant<caf::atom("dict_put")>;
  /// `(cas_atom, key, expected, desired)`: sets `desired` (nullopt: deletes) only if the
  /// current value is `expected` (nullopt: absent); replies whether it did.
  using cas_atom = caf::atom_constant<caf::atom("dict_cas")>;
  /// `(erase_atom, key)`: deletes the key; replies whether it was there.
  using erase_atom = caf::atom_constant<caf::atom("dict_del")>;
  /// `entries_atom`: one shard's items with their stamps.
  using entries_atom = caf::atom_constant<caf::atom("dict_ents")>;
  /// `size_atom`: one shard's number of keys.
  using size_atom = caf::atom_constant<caf::atom("dict_size")>;

  /// Spawns a dictionary of `shards` actors. Error: `shared_error::invalid_argument` if
  /// `shards` is 0.
  static caf::expected<shared_dict> spawn(troupe::system& sys, size_t shards = 1);

  /// A client for existing shard actors (in the order `spawn` made them).
  explicit shared_dict(std::vector<caf::actor> shards) noexcept : shards_(std::move(shards)) {}

  /// The shard actor that holds `key`.
  const caf::actor& shard_for(const value& key) const noexcept;

  /// All shard actors.
  const std::vector<caf::actor>& shards() const noexcept { return shards_; }

  /// Awaits the value of `key`: `expected<std::optional<value>>`.
  auto get(co_actor& self, value key) const {
    auto& dest = shard_for(key);
    return self.request<std::optional<value>>(dest, get_atom::value, std::move(key));
  }

  /// Sets `key` to `val`: `expected<void>`.
  auto put(co_actor& self, value key, value val) const {
    auto& dest = shard_for(key);
    return self.request<>(dest, put_atom::value, std::move(key), std::move(val));
  }

  /// Compare-and-set: `expected<bool>`, true if `key` held `expected` and now holds `desired`.
  auto compare_and_set(co_actor& self, value key, std::optional<value> expected,
                       std::optional<value> desired) const {
    auto& dest = shard_for(key);
    return self.request<bool>(dest, cas_atom::value, std::move(key), std::move(expected),
                              std::move(desired));
  }

  /// Deletes `key`: `expected<bool>`, whether it was there.
  auto erase(co_actor& self, value key) const {
    auto& dest = shard_for(key);
    return self.request<bool>(dest, erase_atom::value, std::move(key));
  }

  /// Awaits all items in insertion order: `expected<dict_items>`.
  co_actor::request_awaiter<dict_items> snapshot(co_actor& self) const;

private:
  std::vector<caf::actor> shards_;
};

} // namespace troupe::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::optional<troupe::actors::value>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::dict_entry)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<troupe::actors::dict_entry>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::dict_items)
