#include "remote_proxy.hpp"

#include <caf/attachable.hpp>

#include "troupe/net/error.hpp"

namespace troupe::net::detail {

remote_proxy::remote_proxy(caf::actor_config& cfg, peer_link_ptr link, uint64_t remote_id,
                           std::string name)
    : caf::monitorable_actor(cfg), link_(std::move(link)), remote_id_(remote_id),
      target_name_(std::move(name)) {}

remote_proxy::~remote_proxy() = default;

void remote_proxy::enqueue(caf::mailbox_element_ptr what, caf::execution_unit* host) {
  send(what->sender, what->mid, what->content(), host);
}

void remote_proxy::send(const caf::strong_actor_ptr& sender, caf::message_id mid,
                        const caf::type_erased_tuple& content, caf::execution_unit* host) {
  if (getf(is_terminated_flag)) {
    // The remote actor is gone (its Down came) or its node is: tell the sender why.
    auto reason = fail_state();
    if (!reason)
      reason = make_error(error_code::unknown_target, "the remote actor has exited");
    if (mid.is_request() && sender)
      sender->enqueue(nullptr, mid.response_id(), caf::make_message(reason), host);
    return;
  }
  link_->send(remote_id_, target_name_, sender, mid, content);
}

void remote_proxy::attach(caf::attachable_ptr ptr) {
  std::lock_guard watch{watch_mtx_};
  caf::monitorable_actor::attach(std::move(ptr));
  if (getf(is_terminated_flag) || std::exchange(monitoring_, true))
    return;
  watch_frame(outgoing::kind::monitor);
}

size_t remote_proxy::detach(const caf::attachable::token& what) {
  std::lock_guard watch{watch_mtx_};
  auto removed = caf::monitorable_actor::detach(what);
  if (removed == 0 || !monitoring_)
    return removed;
  {
    std::lock_guard guard{mtx_};
    if (attachables_head_ != nullptr || getf(is_terminated_flag))
      return removed;
  }
  monitoring_ = false;
  watch_frame(outgoing::kind::demonitor);
  return removed;
}

void remote_proxy::watch_frame(outgoing::kind what) {
  outgoing item;
  item.what = what;
  item.target_id = remote_id_;
  item.name = target_name_;
  link_->send_control(std::move(item));
}

void remote_proxy::kill(caf::error reason) {
  cleanup(std::move(reason), nullptr);
}

} // namespace troupe::net::detail
