#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>

#include "inbox_gate.hpp"
#include "peer_link.hpp"
#include "protocol.hpp"
#include "replay_guard.hpp"
#include "troupe/net/type_registry.hpp"

namespace troupe {
class system;
} // namespace troupe

namespace troupe::net::detail {

/// A node's settings, read once from its `troupe.net.*` options.
struct node_settings {
  /// What every connection's protocol starts with (incarnation, secret, limits, timers).
  protocol_config protocol;
  /// The send window of every link.
  window_config window;
  /// The first delay before reconnecting to an endpoint after a failure...
  std::chrono::milliseconds reconnect_delay{250};
  /// ...doubled after each failed attempt up to this cap (with jitter).
  std::chrono::milliseconds reconnect_cap{5000};
  /// Messages one connection may have waiting in local mailboxes before the node stops reading
  /// it...
  size_t inbox_high_watermark = 65536;
  /// ...and how few before it reads again.
  size_t inbox_low_watermark = 16384;
};

/// What the connections' inbox gates report: deliveries waiting in local mailboxes now (all
/// connections), the most that waited at once on one connection, and whether any is halted.
struct inbox_report {
  size_t waiting = 0;
  size_t peak = 0;
  bool halted = false;
};

/// What the node's public face (any thread) and its broker (the I/O thread) share: settings,
/// the replay guard, and the table of links by endpoint with each endpoint's reconnect backoff.
class node_state {
public:
  node_state(troupe::system& sys, node_settings settings,
             std::shared_ptr<const type_registry> types);

  /// The troupe system (its registry resolves names in arriving messages).
  troupe::system& sys;
  /// Settings (immutable once the node runs).
  const node_settings settings;
  /// The types that cross (fixed once the node runs).
  std::shared_ptr<const type_registry> types;
  /// Refuses replayed handshake nonces, node-wide.
  replay_guard guard;
  /// The broker that owns every connection.
  caf::actor broker;
  /// How many monitors peers hold on this node's actors (`peer_monitor`s alive).
  const std::shared_ptr<std::atomic<size_t>> monitors_held =
    std::make_shared<std::atomic<size_t>>(0);
  /// How many connections the broker holds (for tests and diagnostics).
  std::atomic<size_t> open_connections{0};

  /// The live link to `endpoint` (canonical text), connecting on demand. Errors: `node_down`
  /// while the endpoint is in its reconnect backoff after a failure.
  caf::expected<peer_link_ptr> link_for(const std::string& endpoint);

  /// The link for a peer of `incarnation` that connected here (its announced `endpoint` may be
  /// empty): the live link this node opened to that endpoint if it leads to the same peer (both
  /// nodes connected at once: the broker keeps one connection), else a new link, which also
  /// serves sends to that endpoint unless another live link does.
  peer_link_ptr adopt_inbound(const std::string& endpoint, uint64_t incarnation);

  /// The broker reports that `link` failed with `reason` (`was_up`: after its handshake):
  /// arms the endpoint's reconnect backoff. Called before the link fails its senders.
  void on_link_failed(const peer_link_ptr& link, bool was_up, const caf::error& reason);

  /// Forgets the broker and every link, failing those the broker never failed (a connect that
  /// came too late); the node is stopped.
  void clear();

  /// The broker opened a connection with `gate` / closed it.
  void add_gate(caf::intrusive_ptr<inbox_gate> gate);
  void remove_gate(const inbox_gate* gate);

  /// What the open connections' gates report.
  inbox_report inbox() const;

  /// Records an endpoint this node listens on.
  void add_endpoint(std::string endpoint);

  /// The endpoints this node listens on.
  std::vector<std::string> endpoints() const;

private:
  struct peer_entry {
    peer_link_ptr link;
    /// True if `link` was made for a connection this node opened (`link_for`).
    bool opened_here = false;
    uint32_t failures = 0;
    std::chrono::steady_clock::time_point next_attempt{};
    caf::error last_error;
  };

  peer_link_ptr make_link(std::string endpoint);

  mutable std::mutex mtx_;
  std::unordered_map<std::string, peer_entry> peers_;
  std::vector<std::string> endpoints_;
  std::vector<caf::intrusive_ptr<inbox_gate>> gates_;
  std::minstd_rand jitter_;
};

} // namespace troupe::net::detail
