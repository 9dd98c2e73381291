#pragma once

/// The network layer in one include: `enable`, `node_of`, the node and the type registry.

#include <string>
#include <string_view>
#include <utility>

#include <caf/settings.hpp>

#include "troupe/config.hpp"

#include "troupe/net/error.hpp"
#include "troupe/net/node.hpp"
#include "troupe/net/type_registry.hpp"

namespace troupe {
class system;
} // namespace troupe

namespace troupe::net {

/// Adds the network layer to systems built from `cfg`: loads CAF's middleman and adds the
/// options below; each system then gets a `node` that sends and receives the types of `types`
/// (the scalars, strings and error values are always known).
///
/// Options (command line `--troupe.net.NAME=VALUE`, config file, or `cfg.set`):
/// - `troupe.net.listen`: endpoint to listen on at start ("127.0.0.1:0", "unix:/path"); none
///   by default (a node that only connects out needs none).
/// - `troupe.net.secret-file`: a file holding the shared secret; peers must prove they know it.
/// - `troupe.net.heartbeat-interval` (1 s) and `troupe.net.peer-timeout` (4 s): a peer silent
///   for longer than the timeout is lost (`node_down`).
/// - `troupe.net.handshake-timeout` (5 s): a connection must finish its handshake by then.
/// - `troupe.net.max-frame-size` (16 MiB): the largest frame accepted and sent.
/// - `troupe.net.high-watermark` (4 MiB) and `troupe.net.low-watermark` (1 MiB): the send window
///   per peer; `troupe.net.send-timeout` (10 s): how long a sender outside actors waits for room.
/// - `troupe.net.reconnect-delay` (250 ms) and `troupe.net.reconnect-cap` (5 s): backoff.
void enable(troupe::config& cfg, type_registry types = {});

/// Sets the option `troupe.net.NAME` from code, e.g. `set_option(cfg, "listen", "unix:/x")`.
/// (CAF 0.17's `cfg.set` finds options only in one-level categories such as `troupe`.)
template <class T> void set_option(troupe::config& cfg, std::string_view name, T&& value) {
  caf::put(cfg.content, "troupe.net." + std::string{name}, std::forward<T>(value));
}

/// The node of `sys`, or null if `enable` was not called on its config.
node* node_of(troupe::system& sys) noexcept;

} // namespace troupe::net
