#include "troupe/detail/name_cache.hpp"

#include <caf/abstract_actor.hpp>

#include "troupe/registry.hpp"

namespace troupe::detail {

caf::abstract_actor* name_cache::find(std::string_view name, const registry& names) {
  auto generation = names.generation();
  if (generation != generation_) {
    clear();
    generation_ = generation;
  }
  for (size_t i = 0; i < size_; ++i) {
    auto& e = entries_[i];
    if (e.name == name) {
      auto* who = e.who->get();
      return who->getf(caf::abstract_actor::is_terminated_flag) ? nullptr : who;
    }
  }
  auto who = names.find(name);
  if (!who)
    return nullptr;
  auto* result = who->get();
  if (!entries_)
    entries_ = std::make_unique<entry[]>(capacity);
  // Tagged with the generation read before the lookup: a change in between empties the cache
  // at the next call, never leaves a stale entry.
  auto& slot = size_ < capacity ? entries_[size_++] : entries_[next_victim_++ % capacity];
  slot.name.assign(name);
  slot.who = std::move(who);
  return result;
}

void name_cache::clear() noexcept {
  for (size_t i = 0; i < size_; ++i)
    entries_[i].who = nullptr;
  size_ = 0;
}

} // namespace troupe::detail
