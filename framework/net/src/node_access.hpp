#pragma once

// What the network tests observe inside a node, beyond its public API.

#include <cstddef>

#include "node_state.hpp"
#include "troupe/net/node.hpp"

namespace troupe::net::detail {

/// Reaches a node's shared state (for tests and the node's own translation units).
struct node_access {
  /// The state of `n`.
  static node_state& state_of(node& n) { return *n.state_; }
};

/// How many monitors peers hold on the actors of `n`'s system: Monitor frames received and
/// not yet withdrawn (Demonitor, connection closed) or fired (the actor exited).
inline size_t monitors_held(node& n) {
  return node_access::state_of(n).monitors_held->load();
}

/// How many connections the node's broker holds (handshaking, up or retiring).
inline size_t connections_held(node& n) {
  return node_access::state_of(n).open_connections.load();
}

/// Deliveries from peers waiting in local mailboxes (see `inbox_gate`).
inline inbox_report inbox_of(node& n) {
  return node_access::state_of(n).inbox();
}

} // namespace troupe::net::detail
