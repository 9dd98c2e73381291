#include "troupe/detail/name_cache.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>

#include "troupe/extension.hpp"
#include "troupe/registry.hpp"

namespace troupe::detail {

namespace {

caf::strong_actor_ptr look_up(std::string_view address, const registry& names,
                              remote_resolver* remote) {
  if (auto who = names.find(address))
    return who;
  auto split = split_address(address);
  if (!split || remote == nullptr)
    return nullptr;
  auto proxy = remote->route(split->name, split->endpoint);
  return proxy ? caf::actor_cast<caf::strong_actor_ptr>(std::move(*proxy)) : nullptr;
}

} // namespace

caf::abstract_actor* name_cache::find(std::string_view address, const registry& names,
                                      remote_resolver* remote) {
  auto generation = names.generation();
  if (generation != generation_) {
    clear();
    generation_ = generation;
  }
  entry* slot = nullptr;
  for (size_t i = 0; i < size_; ++i) {
    auto& e = entries_[i];
    if (e.who && e.name == address) {
      auto* who = e.who->get();
      if (!who->getf(caf::abstract_actor::is_terminated_flag))
        return who;
      slot = &e; // gone: look it up again and reuse the entry
      break;
    }
  }
  auto who = look_up(address, names, remote);
  if (!who) {
    if (slot != nullptr)
      slot->who = nullptr; // an empty entry matches nothing until it is reused
    return nullptr;
  }
  auto* result = who->get();
  if (slot == nullptr) {
    if (!entries_)
      entries_ = std::make_unique<entry[]>(capacity);
    // Tagged with the generation read before the lookup: a change in between empties the
    // cache at the next call, never leaves a stale entry.
    slot = size_ < capacity ? &entries_[size_++] : &entries_[next_victim_++ % capacity];
    slot->name.assign(address);
  }
  slot->who = std::move(who);
  return result;
}

void name_cache::clear() noexcept {
  for (size_t i = 0; i < size_; ++i)
    entries_[i].who = nullptr;
  size_ = 0;
}

} // namespace troupe::detail
