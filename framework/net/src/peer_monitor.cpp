#include "peer_monitor.hpp"

#include <caf/abstract_actor.hpp>

namespace troupe::net::detail {

peer_monitor::peer_monitor(peer_link_ptr link, uint64_t id, std::string name,
                           std::shared_ptr<std::atomic<size_t>> held)
    : link_(std::move(link)), id_(id), name_(std::move(name)), held_(std::move(held)) {
  held_->fetch_add(1, std::memory_order_relaxed);
}

peer_monitor::~peer_monitor() {
  if (!fired_)
    held_->fetch_sub(1, std::memory_order_relaxed);
}

void peer_monitor::actor_exited(const caf::error& reason, caf::execution_unit*) {
  // Counted out before the Down is queued: whoever learns of the Down sees the count without it.
  fired_ = true;
  held_->fetch_sub(1, std::memory_order_relaxed);
  link_->send_control(down_item(id_, name_, reason));
}

bool peer_monitor::matches(const token& what) {
  return what.subtype == key::token_type &&
         *static_cast<const key*>(what.ptr) == key{link_.get(), id_, name_};
}

bool peer_monitor::withdraw(caf::abstract_actor& who, const key& k) {
  return who.detach(token{k}) > 0;
}

} // namespace troupe::net::detail
