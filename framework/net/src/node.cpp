#include "troupe/net/node.hpp"

#include <fstream>
#include <future>
#include <iostream>
#include <random>
#include <sstream>
#include <typeinfo>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/send.hpp>

#include "broker_messages.hpp"
#include "endpoint.hpp"
#include "node_broker.hpp"
#include "node_state.hpp"
#include "remote_proxy.hpp"
#include "troupe/net/error.hpp"
#include "troupe/net/type_registry.hpp"
#include "troupe/system.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<std::promise<void>>)

namespace troupe::net {

namespace {

/// Answers `(resolve_atom, name, endpoint)` by asking the peer (a Lookup frame); the peer's
/// answer goes straight to the requester, so this actor never waits.
class lookup_actor_impl : public caf::event_based_actor {
public:
  lookup_actor_impl(caf::actor_config& cfg, std::shared_ptr<detail::node_state> state)
      : caf::event_based_actor(cfg), state_(std::move(state)) {}

  const char* name() const override { return "troupe.net.lookup"; }

  caf::behavior make_behavior() override {
    return {
      [this](troupe::resolve_atom, const std::string& name,
             const std::string& endpoint) -> caf::result<caf::actor> {
        auto where = detail::parse_endpoint(endpoint);
        if (!where)
          return std::move(where.error());
        auto link = state_->link_for(where->to_string());
        if (!link)
          return std::move(link.error());
        auto* element = current_mailbox_element();
        if (element->sender && element->mid.is_request())
          (*link)->start_lookup(name, element->sender, element->mid);
        return caf::delegated<caf::actor>{};
      },
    };
  }

private:
  std::shared_ptr<detail::node_state> state_;
};

/// Stops the broker from another thread and waits until it closed everything.
void stop_broker(const caf::actor& broker) {
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  broker->attach_functor([done] { done->set_value(); });
  caf::anon_send(broker, detail::stop_atom::value);
  finished.wait();
}

} // namespace

node::node(troupe::system& sys, detail::node_settings settings,
           std::shared_ptr<const type_registry> types)
    : state_(std::make_shared<detail::node_state>(sys, std::move(settings), std::move(types))) {
  auto& mm = sys.engine().middleman();
  caf::actor_config cfg{&mm.backend()};
  state_->broker = sys.engine().spawn_impl<detail::node_broker, caf::hidden>(cfg, state_);
  lookup_ = sys.engine().spawn<lookup_actor_impl, caf::hidden>(state_);
}

node::~node() {
  stop();
}

caf::expected<std::string> node::listen(std::string_view endpoint) {
  if (stopped_)
    return make_error(error_code::node_down, "this node is stopped");
  auto where = detail::parse_endpoint(endpoint);
  if (!where)
    return std::move(where.error());
  auto fd = detail::open_listener(*where);
  if (!fd)
    return std::move(fd.error());
  auto bound = where->to_string();
  state_->add_endpoint(bound);
  caf::anon_send(state_->broker, detail::listen_atom::value, *fd);
  return bound;
}

std::vector<std::string> node::endpoints() const {
  return state_->endpoints();
}

uint64_t node::incarnation() const noexcept {
  return state_->settings.protocol.incarnation;
}

caf::expected<caf::actor> node::route(std::string_view name, std::string_view endpoint) {
  auto where = detail::parse_endpoint(endpoint);
  if (!where)
    return std::move(where.error());
  auto link = state_->link_for(where->to_string());
  if (!link)
    return std::move(link.error());
  if ((*link)->overloaded())
    return make_error(error_code::overloaded,
                      (*link)->endpoint() + ": the send window is full (the peer reads slowly)");
  return (*link)->route_to(std::string{name});
}

remote_resolver::paced node::send_paced(const caf::actor& dest,
                                        const caf::strong_actor_ptr& sender,
                                        const caf::type_erased_tuple& content) {
  // Asked at every paced send: remote_proxy is final, so comparing the type is enough (and
  // cheaper than a dynamic_cast).
  auto* actor = caf::actor_cast<caf::abstract_actor*>(dest);
  if (actor == nullptr || typeid(*actor) != typeid(detail::remote_proxy))
    return paced::not_mine;
  auto* proxy = static_cast<detail::remote_proxy*>(actor);
  if (!proxy->link().admit_or_notify(sender))
    return paced::no_room;
  proxy->send(sender, caf::make_message_id(), content, nullptr);
  return paced::sent;
}

caf::actor node::lookup_actor() {
  return lookup_;
}

void node::stop() noexcept {
  if (stopped_)
    return;
  stopped_ = true;
  caf::anon_send_exit(lookup_, caf::exit_reason::user_shutdown);
  stop_broker(state_->broker);
  state_->clear();
  lookup_ = nullptr;
  for (auto& endpoint : state_->endpoints())
    if (endpoint.starts_with("unix:"))
      ::unlink(endpoint.substr(5).c_str());
}

} // namespace troupe::net
