#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/io/broker.hpp>

#include "node_state.hpp"
#include "peer_link.hpp"

namespace troupe::net::detail {

class connection;

/// The node's broker: owns every listening socket and connection of the node and runs on
/// CAF's I/O loop (the middleman's multiplexer, which two threads lead in turn, one at a time:
/// see shared_io_loop.hpp; so the broker's state needs no lock). It parses what arrives with
/// each connection's `protocol` and delivers it to local actors, hands the frames that the
/// links' senders encoded to the socket while the connection's send window has room, and runs
/// the timers (heartbeats, silence and handshake bounds).
class node_broker : public caf::io::broker {
public:
  node_broker(caf::actor_config& cfg, std::shared_ptr<node_state> state);
  ~node_broker() override;

  const char* name() const override { return "troupe.net.node"; }

  caf::behavior make_behavior() override;

  /// Drops the connections and the shared state (they refer back to this broker).
  void on_exit() override;

  /// @private Writes what the connection's protocol produced; closes it if `keep` is false.
  void write_out(connection& conn, bool keep);

  /// @private Moves the link's queue into the connection's protocol while the window has room.
  void drain(connection& conn);

  /// @private The shared node state.
  node_state& state() noexcept { return *state_; }

private:
  connection* add_connection(caf::io::connection_handle hdl, peer_link_ptr link);
  void close_connection(caf::io::connection_handle hdl, const caf::error& reason);
  /// Another connection that carries (or can carry) `link`: not retiring, not closed.
  connection* other_connection(const peer_link* link, const connection* besides);
  /// The connection the link's queue drains into, or null (none yet, or paused).
  connection* target_of(const peer_link* link);
  /// `conn` completed its handshake: decides which connection carries its link.
  void on_connection_up(connection& conn);
  /// Stops sending `link`'s queue on `loser` (this node's own connection) in favour of `winner`.
  void retire(connection& loser, connection& winner);
  void tick();
  void schedule_tick();
  void begin_stop();
  void finish_stop_if_drained();
  void finish_stop();
  /// Delivers `msg` to the broker in a later turn of CAF's I/O loop, after the loop applied
  /// this turn's socket registrations (a timer, however short, gives no such guarantee).
  void send_after_this_turn(caf::message msg);
  /// A socket was added: finishing a stop waits until the loop registered it.
  void await_registration();

  /// CAF 0.17 squashes a socket's registration and removal made in one turn of its I/O loop
  /// into nothing, and then never releases the socket's handler (a leak LSan reports). So a
  /// listening socket added in this turn must not be closed before the loop has turned.
  bool turn_pending_ = false;
  /// A socket was added while a marker was already on its way (from an earlier turn).
  bool added_after_marker_ = false;
  bool finish_after_turn_ = false;

  std::shared_ptr<node_state> state_;
  /// A link's frames on their way from its outbox to a connection's output (reused).
  std::vector<char> frames_;
  bool stopped_ = false;
  bool finished_ = false;
  std::unordered_map<caf::io::connection_handle, std::unique_ptr<connection>> connections_;
  std::unordered_map<peer_link*, caf::io::connection_handle> by_link_;
};

} // namespace troupe::net::detail
