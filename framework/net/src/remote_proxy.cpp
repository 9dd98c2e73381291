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
  if (getf(is_terminated_flag)) {
    // The remote actor is gone (its Down came) or its node is: tell the sender why.
    auto reason = fail_state();
    if (!reason)
      reason = make_error(error_code::unknown_target, "the remote actor has exited");
    if (what->mid.is_request() && what->sender)
      what->sender->enqueue(nullptr, what->mid.response_id(), caf::make_message(reason), host);
    return;
  }
  link_->send(remote_id_, target_name_, std::move(what));
}

void remote_proxy::attach(caf::attachable_ptr ptr) {
  caf::monitorable_actor::attach(std::move(ptr));
  if (getf(is_terminated_flag) || monitoring_.exchange(true))
    return;
  outgoing item;
  item.what = outgoing::kind::monitor;
  item.target_id = remote_id_;
  item.name = target_name_;
  link_->send_control(std::move(item));
}

void remote_proxy::kill(caf::error reason) {
  cleanup(std::move(reason), nullptr);
}

} // namespace troupe::net::detail
