#include "detail/remote_clients.hpp"

#include <mutex>
#include <unordered_map>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_config.hpp>
#include <caf/actor_system.hpp>
#include <caf/make_actor.hpp>
#include <caf/monitorable_actor.hpp>
#include <caf/sec.hpp>

namespace troupe::actors::detail {

namespace {

/// The stand-in of one Protobuf client (see remote_clients.hpp). Not scheduled: the pattern
/// actor's replies to it are translated and forwarded on the pattern actor's own thread.
class stand_in final : public caf::monitorable_actor {
public:
  stand_in(caf::actor_config& cfg, caf::strong_actor_ptr client)
      : caf::monitorable_actor(cfg), client_(std::move(client)) {}

  const char* name() const override { return "troupe.actors.remote_client"; }

  /// The reply to the client's request `request_id` is to be translated by `translate`.
  void expect(caf::message_id request, reply_translator translate) {
    std::lock_guard guard{mtx_};
    pending_[request.request_id().integer_value()] = {request, translate};
  }

  /// A reply of the pattern actor: translated and sent on to the client.
  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit* host) override {
    if (!what->mid.is_response())
      return; // Only replies are addressed to a stand-in.
    reply_translator translate = nullptr;
    {
      std::lock_guard guard{mtx_};
      auto i = pending_.find(what->mid.request_id().integer_value());
      if (i == pending_.end())
        return;
      translate = i->second.translate;
      pending_.erase(i);
    }
    auto content = what->move_content_to_message();
    auto out = translate(content);
    client_->enqueue(std::move(what->sender), what->mid, std::move(out.reply), host);
    if (out.fatal)
      end(std::move(out.fatal), host);
  }

  /// Ends the stand-in: requests still pending get `reason` as their (translated) error
  /// reply, since the pattern actor forgets the waiting requests of an ended client; monitors
  /// (the pattern actor's) see a down message with `reason`.
  void end(caf::error reason, caf::execution_unit* host) {
    std::vector<expected_reply> left;
    {
      std::lock_guard guard{mtx_};
      for (auto& [id, x] : pending_)
        left.push_back(x);
      pending_.clear();
    }
    // A client that ended normally left no reason; its requests still get an error.
    auto why = reason ? reason : caf::make_error(caf::sec::request_receiver_down);
    for (auto& x : left) {
      auto content = caf::make_message(why);
      auto out = x.translate(content);
      client_->enqueue(nullptr, x.request.response_id(), std::move(out.reply), host);
    }
    cleanup(std::move(reason), host);
  }

private:
  struct expected_reply {
    caf::message_id request;
    reply_translator translate;
  };

  std::mutex mtx_;
  /// Held strongly: a remote client keeps its proxy, and so its address, while it is served.
  caf::strong_actor_ptr client_;
  /// Request id -> the request and how to translate its reply.
  std::unordered_map<uint64_t, expected_reply> pending_;
};

stand_in* stand_in_of(const caf::strong_actor_ptr& x) {
  return static_cast<stand_in*>(caf::actor_cast<caf::abstract_actor*>(x));
}

} // namespace

remote_clients::~remote_clients() = default;

void remote_clients::forget(const caf::actor_addr& who) {
  auto i = by_stand_in_.find(who);
  if (i == by_stand_in_.end())
    return;
  auto client = by_client_.find(i->second);
  if (client != by_client_.end() && caf::actor_cast<caf::actor_addr>(client->second) == who)
    by_client_.erase(client);
  by_stand_in_.erase(i);
}

void remote_clients::sweep() {
  for (auto i = by_client_.begin(); i != by_client_.end();) {
    if (!i->second || stand_in_of(i->second)->getf(caf::abstract_actor::is_terminated_flag)) {
      by_stand_in_.erase(caf::actor_cast<caf::actor_addr>(i->second));
      i = by_client_.erase(i);
    } else {
      ++i;
    }
  }
}

caf::mailbox_element_ptr remote_clients::stand_in_element(caf::actor_system& sys,
                                                          caf::mailbox_element* current,
                                                          reply_translator translate) {
  if (current == nullptr || !current->sender)
    return nullptr;
  auto proxy = stand_in_for(sys, current->sender);
  // A one-way Protobuf message is served too; its reply has no request id and is dropped.
  if (current->mid.is_request())
    stand_in_of(proxy)->expect(current->mid, translate);
  auto result = caf::make_mailbox_element(std::move(proxy), current->mid,
                                          std::move(current->stages), caf::message{});
  current->mid.mark_as_answered(); // CAF must not answer it too: the stand-in does.
  return result;
}

caf::strong_actor_ptr remote_clients::stand_in_for(caf::actor_system& sys,
                                                   const caf::strong_actor_ptr& client) {
  auto key = caf::actor_cast<caf::actor_addr>(client);
  if (auto i = by_client_.find(key);
      i != by_client_.end() &&
      !stand_in_of(i->second)->getf(caf::abstract_actor::is_terminated_flag))
    return i->second;
  sweep();
  auto& slot = by_client_[key];
  caf::actor_config cfg;
  auto made = caf::make_actor<stand_in, caf::strong_actor_ptr>(sys.next_actor_id(), sys.node(),
                                                               &sys, cfg, client);
  slot = made;
  by_stand_in_[caf::actor_cast<caf::actor_addr>(made)] = key;
  // The client's end is the stand-in's end. For a remote proxy this attachment also asks its
  // node for a Down when the remote actor exits; a lost node ends the proxy with node_down.
  // Attached to an actor that ended already, it runs at once.
  client->get()->attach_functor(
    [weak = caf::actor_cast<caf::weak_actor_ptr>(made)](const caf::error& reason) {
      if (auto alive = weak.lock())
        stand_in_of(alive)->end(reason, nullptr);
    });
  return made;
}

} // namespace troupe::actors::detail
