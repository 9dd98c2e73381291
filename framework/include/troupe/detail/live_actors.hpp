#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <vector>

#include <caf/actor_control_block.hpp>

namespace troupe::detail {

/// The coroutine actors of a system that have not exited yet, so that `system::shutdown` can
/// stop them. An intrusive list split into shards: adding and removing allocate nothing.
class live_actors {
public:
  /// A list node, embedded in each coroutine actor.
  struct hook {
    hook* prev = nullptr;
    hook* next = nullptr;
    caf::actor_control_block* ctrl = nullptr;
    uint8_t shard = 0;
  };

  void add(hook& h, caf::actor_control_block* ctrl, uint64_t id);
  void remove(hook& h);

  /// Strong handles to every listed actor that is still alive.
  std::vector<caf::strong_actor_ptr> snapshot();

private:
  static constexpr size_t shard_count = 16;
  struct shard {
    std::mutex mtx;
    hook head;
  };
  std::array<shard, shard_count> shards_;
};

} // namespace troupe::detail
