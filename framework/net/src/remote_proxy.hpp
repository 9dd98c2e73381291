#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include <caf/actor_config.hpp>
#include <caf/error.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/monitorable_actor.hpp>

#include "peer_link.hpp"

namespace troupe::net::detail {

/// A local stand-in for an actor on a peer: an ordinary CAF actor whose mailbox is the peer's
/// link. Bound either to one remote actor (by its id on the peer) or to a name on the peer
/// (each message goes to whatever holds the name there when it arrives).
///
/// Monitoring it asks the peer for a Down when the remote actor exits; it terminates with that
/// reason, or with `node_down` when the link is lost, so monitors see a down message either way.
class remote_proxy final : public caf::monitorable_actor {
public:
  remote_proxy(caf::actor_config& cfg, peer_link_ptr link, uint64_t remote_id, std::string name);
  ~remote_proxy() override;

  const char* name() const override { return "troupe.net.proxy"; }

  /// Encodes the message on the caller's thread and queues it on the link.
  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit* host) override;

  /// What `enqueue` does, from the parts of a message (a paced send has no mailbox element).
  void send(const caf::strong_actor_ptr& sender, caf::message_id mid,
            const caf::type_erased_tuple& content, caf::execution_unit* host);

  /// Attaches like any actor; the first attachment asks the peer to monitor the remote actor.
  void attach(caf::attachable_ptr ptr) override;

  /// Detaches like any actor; once nothing is attached any more (the last monitor withdrawn),
  /// asks the peer to withdraw its monitor, so that no Down is sent for nobody.
  size_t detach(const caf::attachable::token& what) override;

  /// Terminates the proxy with `reason` (the remote actor's exit reason or `node_down`).
  void kill(caf::error reason);

  /// The link to the proxy's peer.
  peer_link& link() const noexcept { return *link_; }

  /// The remote actor's id on the peer (0 for a proxy bound to a name).
  uint64_t remote_id() const noexcept { return remote_id_; }

private:
  /// Queues a Monitor or Demonitor frame for the remote actor (`watch_mtx_` is held).
  void watch_frame(outgoing::kind what);

  peer_link_ptr link_;
  uint64_t remote_id_;
  std::string target_name_;
  /// Orders the Monitor and Demonitor frames as the attachments they follow.
  std::mutex watch_mtx_;
  /// True while the peer holds a monitor for this proxy (guarded by `watch_mtx_`).
  bool monitoring_ = false;
};

} // namespace troupe::net::detail
