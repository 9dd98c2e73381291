#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <caf/actor_control_block.hpp>

namespace troupe {
class registry;
class remote_resolver;
} // namespace troupe

namespace troupe::detail {

/// An actor's memory of the names it sent to lately, so that a send by name usually costs a
/// few string compares instead of a hash, a shard lock and two reference counts.
///
/// Entries are valid while the registry's generation is the one they were made under: any
/// bind or unbind anywhere empties the cache. A terminated actor is never returned but looked
/// up again, so a send to a name whose actor just exited fails as `unknown_name`, exactly as
/// without the cache, and a remote address whose handle died with its node (or that moved) is
/// routed anew instead of being served from the cache.
class name_cache {
public:
  /// The actor at `address` (null if none): asks `names` on a miss, or `remote` for
  /// `name@endpoint` (null `remote`: no network layer, so no remote actor).
  caf::abstract_actor* find(std::string_view address, const registry& names,
                            remote_resolver* remote);

  /// Forgets every entry. An exiting actor must call it: entries are strong references, and
  /// an actor that sent to its own name would otherwise keep itself alive.
  void clear() noexcept;

private:
  static constexpr size_t capacity = 8;
  struct entry {
    std::string name;
    caf::strong_actor_ptr who;
  };

  // Allocated on the first send by name: most actors never send by name, and an actor's size
  // is what a spawn-heavy program pays per actor.
  std::unique_ptr<entry[]> entries_;
  uint32_t size_ = 0;
  uint32_t next_victim_ = 0;
  uint64_t generation_ = 0;
};

} // namespace troupe::detail
