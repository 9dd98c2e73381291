#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <caf/attachable.hpp>

#include "peer_link.hpp"

namespace troupe::net::detail {

/// A peer's monitor on a local actor: attached to the actor when a Monitor frame arrives, it
/// queues the Down on the peer's link when the actor exits (after everything the actor sent to
/// that peer). A Demonitor frame, or the end of the connection, detaches it again, so no Down
/// is sent and the actor no longer holds the link.
class peer_monitor final : public caf::attachable {
public:
  /// What a Demonitor names: the link it came over and the target as the Monitor named it.
  struct key {
    /// The attachable token's subtype (outside CAF's own subtypes 0-3).
    static constexpr size_t token_type = 0x74726d; // "trm"
    const peer_link* link;
    uint64_t id;
    std::string_view name;
    bool operator==(const key&) const = default;
  };

  /// Watches for `link`'s peer, which named the actor by `id` or `name`; `held` counts the
  /// peer monitors on this node (this one until it fires or is detached).
  peer_monitor(peer_link_ptr link, uint64_t id, std::string name,
               std::shared_ptr<std::atomic<size_t>> held);
  ~peer_monitor() override;

  /// The actor exited: queue the Down (a failed link drops it).
  void actor_exited(const caf::error& reason, caf::execution_unit* host) override;

  /// True for a `key` token naming this monitor.
  bool matches(const token& what) override;

  /// Detaches the monitor `k` from `who`; true if it was still attached (no Down will come).
  static bool withdraw(caf::abstract_actor& who, const key& k);

private:
  peer_link_ptr link_;
  uint64_t id_;
  std::string name_;
  std::shared_ptr<std::atomic<size_t>> held_;
  bool fired_ = false;
};

} // namespace troupe::net::detail
