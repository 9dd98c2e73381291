#include "troupe/detail/live_actors.hpp"

namespace troupe::detail {

void live_actors::add(hook& h, caf::actor_control_block* ctrl, uint64_t id) {
  h.ctrl = ctrl;
  h.shard = static_cast<uint8_t>(id % shard_count);
  auto& s = shards_[h.shard];
  std::lock_guard guard{s.mtx};
  h.prev = &s.head;
  h.next = s.head.next;
  if (h.next)
    h.next->prev = &h;
  s.head.next = &h;
}

void live_actors::remove(hook& h) {
  if (!h.prev)
    return;
  auto& s = shards_[h.shard];
  std::lock_guard guard{s.mtx};
  h.prev->next = h.next;
  if (h.next)
    h.next->prev = h.prev;
  h.prev = h.next = nullptr;
}

std::vector<caf::strong_actor_ptr> live_actors::snapshot() {
  std::vector<caf::strong_actor_ptr> result;
  for (auto& s : shards_) {
    std::lock_guard guard{s.mtx};
    for (auto* h = s.head.next; h != nullptr; h = h->next)
      // An actor whose last handle is gone may be exiting right now: skip it.
      if (caf::intrusive_ptr_upgrade_weak(h->ctrl))
        result.emplace_back(h->ctrl, false);
  }
  return result;
}

} // namespace troupe::detail
