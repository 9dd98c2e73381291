#pragma once

#include <caf/io/connection_handle.hpp>

namespace troupe::net::detail {

/// The socket of a connection that the node's broker holds.
///
/// The one place troupe relies on how CAF 0.17's default multiplexer names connections: a
/// scribe's handle is made from its socket (`network::conn_hdl_from_socket` in
/// caf/io/network/default_multiplexer.hpp, used by `scribe_impl`), and the socket stays open
/// until the scribe is gone, which is never before the broker has seen the connection closed
/// (its `connection_closed_msg` is handled synchronously when CAF detaches the scribe) or has
/// closed it itself.
inline int socket_of(caf::io::connection_handle hdl) noexcept {
  return static_cast<int>(hdl.id());
}

} // namespace troupe::net::detail
