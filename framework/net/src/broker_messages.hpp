#pragma once

// The messages that reach the node's broker from other threads.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "peer_link.hpp"

namespace troupe::net::detail {

/// `(wake_atom, peer_link_ptr)`: the link has queued items for its connection.
using wake_atom = caf::atom_constant<caf::atom("tn_wake")>;

/// `(connect_atom, peer_link_ptr)`: open a connection to the link's endpoint.
using connect_atom = caf::atom_constant<caf::atom("tn_connect")>;

/// `(listen_atom, int fd)`: accept connections on a listening socket.
using listen_atom = caf::atom_constant<caf::atom("tn_listen")>;

/// `(tick_atom)`: run the connections' timers (heartbeats, silence, handshake timeouts).
using tick_atom = caf::atom_constant<caf::atom("tn_tick")>;

/// `(stop_atom)`: say goodbye on every connection and close them.
using stop_atom = caf::atom_constant<caf::atom("tn_stop")>;

/// `(finish_atom)`: the stop's grace period is over: cut what is left and quit.
using finish_atom = caf::atom_constant<caf::atom("tn_finish")>;

/// `(resume_atom, connection_handle)`: local actors caught up; read the connection again.
using resume_atom = caf::atom_constant<caf::atom("tn_resume")>;

/// `(reread_atom, connection_handle)`: the turn of the I/O loop after a resume: read again now.
using reread_atom = caf::atom_constant<caf::atom("tn_reread")>;

/// `(turn_atom)`: CAF's I/O loop has applied the socket registrations of an earlier turn.
using turn_atom = caf::atom_constant<caf::atom("tn_turn")>;

} // namespace troupe::net::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::net::detail::peer_link_ptr)
