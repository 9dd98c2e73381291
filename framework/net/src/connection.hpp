#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include <caf/error.hpp>
#include <caf/io/connection_handle.hpp>

#include "inbox_gate.hpp"
#include "peer_link.hpp"
#include "protocol.hpp"

namespace troupe::net::detail {

class node_broker;
struct type_entry;

/// One connection of the node's broker: its protocol state machine and what the protocol
/// reports, turned into deliveries to local actors and into the link's bookkeeping.
/// Runs only on the broker's thread.
class connection final : public protocol_callee {
public:
  connection(node_broker& broker, caf::io::connection_handle hdl, protocol::role role,
             peer_link_ptr link, std::string peer_address);
  ~connection() override;

  /// The connection's handle in the broker.
  caf::io::connection_handle hdl;
  /// The link of the peer; null for an accepted connection until its handshake is done.
  peer_link_ptr link;
  /// True if this node opened the connection.
  bool outbound = false;
  /// Bytes handed to CAF and not yet reported written.
  size_t in_flight = 0;
  /// Why the connection ends, once the protocol or the peer said so.
  caf::error close_reason;
  /// The peer's address, for log lines.
  std::string peer_address;
  /// The wire protocol of this connection.
  protocol proto;
  /// Counts what this connection delivered to local mailboxes and was not consumed yet.
  caf::intrusive_ptr<inbox_gate> gate;
  /// True while the broker does not read this connection (local actors lag).
  bool halted = false;
  /// True from reading again until data arrives: CAF 0.17.6 loses a re-add to its I/O loop that
  /// comes in the same busy turn as the removal, so each tick re-adds it (a no-op once it is in).
  bool rearmed = false;
  /// Set when the handshake completed during the last read (the broker then settles which
  /// connection carries the link).
  bool just_up = false;
  /// Set when the peer said Goodbye (if it gave up this connection for another to this node, it
  /// still reads what is written here).
  bool peer_said_goodbye = false;
  /// Set when this node stopped sending on this connection in favour of another to the same
  /// peer: it said Goodbye, still reads, and waits for the peer to close it (which shows that
  /// the peer read everything sent here) until `retire_deadline`.
  bool retiring = false;
  /// When a retiring connection is closed even if the peer did not close it.
  protocol_clock::time_point retire_deadline{};
  /// True while the link's direct writer may write to this connection's socket (this one
  /// carries the link and its last `write_out` reported it open): the writer is bound to one
  /// socket at a time, and only the connection that carries the link binds it.
  bool direct_bound = false;

  // -- protocol_callee ----------------------------------------------------------------------

  void on_handshake_done(uint64_t peer_incarnation, std::string_view peer_endpoint) override;
  void on_message(const message_view& msg) override;
  void on_reply(const message_view& msg) override;
  void on_monitor(const actor_target& target) override;
  void on_demonitor(const actor_target& target) override;
  void on_down(const actor_target& actor, const error_view& reason) override;
  void on_lookup(std::string_view name, uint64_t request_id) override;
  void on_lookup_result(uint64_t request_id, uint64_t actor_id, const error_view& error) override;
  void on_peer_error(const peer_error& err) override;
  void on_heartbeat() override;
  void on_goodbye(std::string_view reason) override;
  void on_protocol_error(error_code code, std::string_view text) override;

  /// Forgets what `resolve` and `sender_proxy` remembered during one read (a name may be
  /// bound to another actor by the next one).
  void end_of_read();

  /// This connection closes while `to` carries the same link on: the monitors the peer asked for
  /// here stay (a later Demonitor comes over `to`).
  void hand_over_monitors(connection& to);

private:
  /// The local actor `target` names (registry name or exported id), or null; valid until the
  /// next call or `end_of_read`.
  const caf::strong_actor_ptr& resolve(const actor_target& target);
  /// The proxy of the peer's actor `id` (remembered for the rest of the read).
  caf::strong_actor_ptr sender_proxy(uint64_t id);
  /// Logs a problem with this peer (bad input, failed handshake) with its address.
  void log(std::string_view what) const;

  node_broker& broker_;
  std::pair<uint64_t, std::string> last_target_;
  caf::strong_actor_ptr last_target_actor_;
  uint64_t last_sender_id_ = 0;
  /// The type found last for a message's only payload (the registry's entries live as long
  /// as the node).
  const type_entry* last_type_ = nullptr;
  caf::strong_actor_ptr last_sender_;
  /// Attaches a `peer_monitor` for this connection's peer, which named `who` by `target_id`
  /// or `name`.
  void attach_monitor(caf::abstract_actor& who, uint64_t target_id, const std::string& name);
  /// Withdraws the peer's monitors on local actors that `first` to `last` hold.
  template <class Iterator> void withdraw(Iterator first, Iterator last);

  /// What the peer monitors, as it named it (target id, target name) and the local actor's
  /// id, each with a `peer_monitor` attached to that actor.
  std::map<std::tuple<uint64_t, std::string, uint64_t>, caf::weak_actor_ptr> watched_;
  /// `watched_` drops the entries of exited actors when it grows to this size.
  size_t prune_at_ = 64;
};

} // namespace troupe::net::detail
