#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/error.hpp>

namespace troupe {

/// The name registry: string names for actors, freed automatically when the actor exits.
///
/// Names are 1-255 bytes of UTF-8 without '@' (reserved for `name@host:port`). The table is
/// split into shards, each behind its own reader-writer lock, so senders by name on different
/// threads do not serialize on one lock.
class registry {
public:
  /// The longest name, in bytes.
  static constexpr size_t max_name_size = 255;

  registry();
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Returns `invalid_name` (with the reason) unless `name` is a valid name.
  static caf::error validate(std::string_view name);

  /// Registers `who` as `name`. Errors: `invalid_name`, `duplicate_name`.
  caf::error add(std::string_view name, caf::strong_actor_ptr who);

  /// Removes `name`; false if it was not registered.
  bool remove(std::string_view name);

  /// The actor registered as `name`, or null.
  caf::strong_actor_ptr find(std::string_view name) const;

  /// A number that changes whenever a name is bound or unbound: a cache of lookups made while
  /// it had one value stays valid while it keeps that value.
  uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

  /// All registered names, sorted.
  std::vector<std::string> names() const;

  /// All registered actors (an actor with several names appears once per name).
  std::vector<caf::strong_actor_ptr> actors() const;

  /// Claims `name` for an actor that is about to be spawned: lookups do not see it yet,
  /// other registrations of it fail. Follow with `commit` or `cancel`.
  caf::error reserve(std::string_view name);

  /// Binds a reserved name to its actor and makes it visible.
  void commit(std::string_view name, caf::strong_actor_ptr who);

  /// Releases a reservation.
  void cancel(std::string_view name);

private:
  struct shard;
  shard& shard_of(size_t hash) const;
  void changed() noexcept;
  /// Removes `name` only while it still refers to the actor with id `id`.
  void remove_if_bound_to(std::string_view name, caf::actor_id id);
  /// Unregisters `name` when `who` exits.
  void forget_on_exit(std::string_view name, const caf::strong_actor_ptr& who);

  std::unique_ptr<shard[]> shards_;
  std::atomic<uint64_t> generation_{0};
};

} // namespace troupe
