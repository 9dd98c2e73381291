#include "troupe/detail/stash.hpp"

#include <limits>

namespace troupe::detail {

void stash::push(caf::message content, caf::strong_actor_ptr sender,
                 caf::response_promise request) {
  auto key = signature_key(content.content());
  queues_[key].push_back(
    stashed{next_seq_++, std::move(content), std::move(sender), std::move(request)});
  ++size_;
}

std::deque<stashed>::iterator stash::first_match(std::deque<stashed>& queue,
                                                 const wait_slot& slot) {
  // Entries of one queue share a signature, so the front matches unless two signatures
  // collided on one key: then the scan skips the other signature's entries.
  auto it = queue.begin();
  while (it != queue.end() && !slot.match(it->content.content()))
    ++it;
  return it;
}

std::optional<stashed> stash::take_oldest(wait_slot& slot) {
  std::deque<stashed>* best_queue = nullptr;
  std::deque<stashed>::iterator best;
  auto consider = [&](std::deque<stashed>& queue) {
    auto it = first_match(queue, slot);
    if (it != queue.end() && (best_queue == nullptr || it->seq < best->seq)) {
      best_queue = &queue;
      best = it;
    }
  };
  if (slot.keys.any) {
    for (auto& [key, queue] : queues_)
      consider(queue);
  } else {
    for (auto key : slot.keys.keys)
      if (auto i = queues_.find(key); i != queues_.end())
        consider(i->second);
  }
  if (best_queue == nullptr)
    return std::nullopt;
  stashed entry = std::move(*best);
  best_queue->erase(best);
  --size_;
  slot.take(slot.awaiter, entry.content.content());
  return entry;
}

void stash::fail_and_clear(const caf::error& reason) {
  for (auto& [key, queue] : queues_)
    for (auto& entry : queue)
      if (entry.request.pending())
        entry.request.deliver(reason);
  queues_.clear();
  size_ = 0;
}

} // namespace troupe::detail
