#include "connection.hpp"

#include <algorithm>
#include <iostream>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/message.hpp>

#include "node_broker.hpp"
#include "payload_codec.hpp"
#include "peer_monitor.hpp"
#include "troupe/error.hpp"
#include "troupe/net/error.hpp"
#include "troupe/system.hpp"
#include "type_table.hpp"

namespace troupe::net::detail {

namespace {

protocol_config config_for(node_state& state) {
  auto cfg = state.settings.protocol;
  if (auto eps = state.endpoints(); !eps.empty())
    cfg.endpoint = eps.front();
  return cfg;
}

caf::error from_view(const error_view& err) {
  return error_from_view(err);
}

} // namespace

connection::connection(node_broker& broker, caf::io::connection_handle hdl, protocol::role role,
                       peer_link_ptr link, std::string peer_address)
    : hdl(hdl), link(std::move(link)), peer_address(std::move(peer_address)),
      proto(role, config_for(broker.state()), *this, broker.state().guard), broker_(broker) {}

connection::~connection() {
  // The connection is over: local actors no longer hold its link for the peer's monitors.
  withdraw(watched_.begin(), watched_.end());
}

void connection::hand_over_monitors(connection& to) {
  to.watched_.merge(watched_);
  // What `to` watched already (the peer monitored it over both): the two monitors have one key,
  // so both go and one comes back, as a repeated Monitor replaces the first.
  for (auto& [key, weak] : watched_) {
    auto& [target_id, name, actor_id] = key;
    if (auto who = weak.lock()) {
      peer_monitor::withdraw(*who->get(), peer_monitor::key{link.get(), target_id, name});
      attach_monitor(*who->get(), target_id, name);
    }
  }
  watched_.clear();
}

void connection::attach_monitor(caf::abstract_actor& who, uint64_t target_id,
                                const std::string& name) {
  who.attach(std::make_unique<peer_monitor>(link, target_id, name, broker_.state().monitors_held));
}

template <class Iterator> void connection::withdraw(Iterator first, Iterator last) {
  for (auto i = first; i != last; ++i) {
    auto& [target_id, name, actor_id] = i->first;
    if (auto who = i->second.lock())
      peer_monitor::withdraw(*who->get(), peer_monitor::key{link.get(), target_id, name});
  }
}

void connection::log(std::string_view what) const {
  std::cerr << "[troupe.net] " << peer_address << ": " << what << '\n';
}

const caf::strong_actor_ptr& connection::resolve(const actor_target& target) {
  // A batch usually goes to one actor: remember the last target during one read.
  if (target.name.empty() ? target.id == last_target_.first && last_target_.second.empty()
                          : target.name == last_target_.second) {
    if (last_target_actor_)
      return last_target_actor_;
  }
  last_target_actor_ = !target.name.empty() ? broker_.state().sys.registry().find(target.name)
                       : link               ? link->exported(target.id)
                                            : nullptr;
  last_target_ = {target.id, std::string{target.name}};
  return last_target_actor_;
}

caf::strong_actor_ptr connection::sender_proxy(uint64_t id) {
  if (!last_sender_ || last_sender_id_ != id) {
    last_sender_ = caf::actor_cast<caf::strong_actor_ptr>(link->proxy_of(id));
    last_sender_id_ = id;
  }
  return last_sender_;
}

void connection::end_of_read() {
  last_target_actor_ = nullptr;
  last_target_ = {};
  last_sender_ = nullptr;
}

void connection::on_handshake_done(uint64_t peer_incarnation, std::string_view peer_endpoint) {
  if (!link)
    link = broker_.state().adopt_inbound(std::string{peer_endpoint}, peer_incarnation);
  if (!link->mark_up(peer_incarnation, proto.send_limit())) {
    // The link's other connection reached another process at that endpoint (it restarted while
    // both connections were being made): this one ends, the link lives on the other.
    close_reason = make_error(error_code::handshake_failed,
                              "another incarnation answers at " + link->endpoint());
    log(broker_.state().sys.engine().render(close_reason));
    return;
  }
  just_up = true;
}

void connection::on_message(const message_view& msg) {
  const auto& target = resolve(msg.target); // no reference count per message
  if (!target) {
    auto what = msg.target.name.empty() ? "actor id " + std::to_string(msg.target.id)
                                        : "name '" + std::string{msg.target.name} + "'";
    proto.reject(msg, error_code::unknown_target, "no actor with " + what);
    return;
  }
  caf::strong_actor_ptr sender;
  if (msg.sender_id != 0 || msg.request_id != 0)
    sender = sender_proxy(msg.sender_id);
  auto mid = msg.request_id != 0 ? caf::make_message_id(msg.request_id) : caf::make_message_id();
  const auto& types = broker_.state().types->table();
  if (msg.payload.size() == 1) {
    // One element of a built-in type (the common case): decoded into the mailbox element.
    // A stream has one type: compare with the last one found (the registry's own string)
    // rather than hash the URL.
    const auto& url = msg.payload[0].type_url;
    if (last_type_ == nullptr || url != last_type_->type_url)
      last_type_ = types.find(url);
    const auto* entry = last_type_;
    if (entry != nullptr && entry->deliver != nullptr) {
      delivery_header header{std::move(sender), mid, gate};
      caf::mailbox_element_ptr element;
      if (auto err = entry->deliver(*entry, msg.payload[0].value, header, element)) {
        proto.reject(msg, error_code::malformed_payload, broker_.state().sys.engine().render(err));
        return;
      }
      target->enqueue(std::move(element), broker_.context());
      return;
    }
  }
  auto content = decode(types, msg.payload);
  if (!content) {
    auto code = content.error().category() == net_error_category
                  ? static_cast<error_code>(content.error().code())
                  : error_code::unknown_type;
    proto.reject(msg, code, broker_.state().sys.engine().render(content.error()));
    return;
  }
  // Counted until the target has handled it: the broker stops reading while too many wait.
  target->enqueue(caf::mailbox_element_ptr{new counted_delivery{std::move(sender), mid,
                                                                std::move(*content), gate}},
                  broker_.context());
}

void connection::on_reply(const message_view& msg) {
  auto [requester, mid] = link->take_pending(msg.reply_to);
  if (!mid.is_request()) {
    proto.reject(msg, error_code::unknown_request,
                 "no request with id " + std::to_string(msg.reply_to) + " is pending");
    return;
  }
  if (!requester)
    return; // It exited meanwhile; nobody waits for this reply.
  caf::message content;
  if (msg.error != nullptr) {
    content = caf::make_message(from_view(*msg.error));
  } else if (auto decoded = decode(broker_.state().types->table(), msg.payload)) {
    content = std::move(*decoded);
  } else {
    content = caf::make_message(std::move(decoded.error()));
  }
  caf::strong_actor_ptr sender;
  if (msg.sender_id != 0)
    sender = caf::actor_cast<caf::strong_actor_ptr>(link->proxy_of(msg.sender_id));
  requester->enqueue(std::move(sender), mid.response_id(), std::move(content), broker_.context());
}

void connection::on_monitor(const actor_target& target) {
  std::string name{target.name};
  auto who = resolve(target);
  if (!who) {
    link->send_control(
      down_item(target.id, name, make_error(error_code::unknown_target, "no such actor")));
    return;
  }
  if (watched_.size() >= prune_at_) {
    std::erase_if(watched_, [](const auto& entry) { return !entry.second.lock(); });
    prune_at_ = std::max(size_t{64}, 2 * watched_.size());
  }
  // Keyed by the actor too: a name monitored again once another actor holds it is watched anew.
  // A repeated Monitor replaces the first one, so the peer gets one Down (at once if the actor
  // has exited meanwhile).
  auto key = std::tuple{target.id, name, who->id()};
  if (auto i = watched_.find(key); i != watched_.end()) {
    withdraw(i, std::next(i));
    watched_.erase(i);
  }
  watched_.emplace(key, caf::actor_cast<caf::weak_actor_ptr>(who));
  // The Down goes through the link's queue, after everything the actor sent to this peer.
  attach_monitor(*who->get(), target.id, name);
}

void connection::on_demonitor(const actor_target& target) {
  // Every actor the peer watches under this id or name (a name may have changed hands).
  std::string name{target.name};
  auto first = watched_.lower_bound(std::tuple{target.id, name, uint64_t{0}});
  auto last = first;
  while (last != watched_.end() && std::get<0>(last->first) == target.id &&
         std::get<1>(last->first) == name)
    ++last;
  withdraw(first, last);
  watched_.erase(first, last);
}

void connection::on_down(const actor_target& actor, const error_view& reason) {
  link->on_down(actor.id, std::string{actor.name}, from_view(reason));
}

void connection::on_lookup(std::string_view name, uint64_t request_id) {
  if (auto who = broker_.state().sys.registry().find(name)) {
    proto.send_lookup_result(request_id, link->export_actor(who), error_view{});
    return;
  }
  auto err =
    to_error_fields(troupe::make_error(troupe::error_code::unknown_name, std::string{name}));
  proto.send_lookup_result(request_id, 0, err.view());
}

void connection::on_lookup_result(uint64_t request_id, uint64_t actor_id, const error_view& error) {
  auto [requester, mid] = link->take_pending(request_id);
  if (!requester)
    return;
  auto content = actor_id != 0 ? caf::make_message(link->proxy_of(actor_id))
                               : caf::make_message(from_view(error));
  requester->enqueue(nullptr, mid.response_id(), std::move(content), broker_.context());
}

void connection::on_peer_error(const peer_error& err) {
  auto reason = make_error(static_cast<error_code>(err.code), std::string{err.text});
  log("peer reports " + broker_.state().sys.engine().render(reason));
  if (err.closing) {
    close_reason = reason;
    return;
  }
  if (!link)
    return;
  if (err.request_id != 0) {
    if (auto [requester, mid] = link->take_pending(err.request_id); requester)
      requester->enqueue(nullptr, mid.response_id(), caf::make_message(reason), broker_.context());
  } else if (err.actor_id != 0) {
    if (auto who = link->exported(err.actor_id))
      who->enqueue(nullptr, caf::make_message_id(), caf::make_message(reason), broker_.context());
  }
}

void connection::on_heartbeat() {
  // Liveness is the protocol's business; nothing else to do.
}

void connection::on_goodbye(std::string_view reason) {
  peer_said_goodbye = true;
  close_reason = make_error(error_code::node_down, "the peer said goodbye: " + std::string{reason});
}

void connection::on_protocol_error(error_code code, std::string_view text) {
  log(to_string(code) + ": " + std::string{text});
  close_reason = make_error(code, std::string{text});
}

} // namespace troupe::net::detail
