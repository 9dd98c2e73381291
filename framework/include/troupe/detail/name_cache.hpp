#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <caf/actor_control_block.hpp>

namespace troupe {
class registry;
} // namespace troupe

namespace troupe::detail {

/// An actor's memory of the names it sent to lately, so that a send by name usually costs a
/// few string compares instead of a hash, a shard lock and two reference counts.
///
/// Entries are valid while the registry's generation is the one they were made under: any
/// bind or unbind anywhere empties the cache. A terminated actor is never returned, so a send
/// to a name whose actor just exited fails as `unknown_name`, exactly as without the cache.
class name_cache {
public:
  /// The actor registered as `name` (null if none); asks `names` on a miss.
  caf::abstract_actor* find(std::string_view name, const registry& names);

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
