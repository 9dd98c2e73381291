#pragma once

// How a pattern actor serves clients that speak its Protobuf protocol (remote clients, through
// troupe::net, which delivers each decoded request as an ordinary message holding the
// generated C++ type): the actor's Protobuf handler runs the same internal operation as the
// local request, and only the reply is translated on its way back.
//
// The pattern actors key what a client holds (items, permits, leases) by the sender's address
// and monitor it. For a Protobuf client that sender is a stand-in: one small actor per client,
// not scheduled (its enqueue runs on the pattern actor's thread, no extra hop), that
//   - translates each reply (empty message, item, stats, error) into the Protobuf reply and
//     forwards it to the client with the request's id;
//   - holds the client's handle, so a remote client keeps one proxy, one address and thus one
//     identity across its requests (troupe::net keeps proxies only while someone holds them);
//   - ends when the client ends: for a remote client, when the remote actor exits or its node
//     is lost (the proxy's monitor; `node_down`). The pattern actor's monitor on the stand-in
//     then gives back what the client held, exactly as for a local actor that terminated.
// Local clients never meet any of this: their requests are the C++ atoms, matched first.

#include <cstdint>
#include <map>
#include <utility>

#include <caf/actor_addr.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message.hpp>

namespace troupe::actors::detail {

/// A local reply translated for a Protobuf client.
struct translated_reply {
  /// The Protobuf reply (or error reply) to send.
  caf::message reply;
  /// Set if the client cannot be served further (e.g. it was handed an item that cannot
  /// cross): its stand-in ends with this reason, so the pattern actor takes back what it held.
  caf::error fatal;
};

/// Turns the content of a local reply (empty, values, or one `caf::error`) into the reply a
/// Protobuf client expects.
using reply_translator = translated_reply (*)(caf::message& local_reply);

/// The stand-ins of one pattern actor's Protobuf clients, by client.
class remote_clients {
public:
  remote_clients() = default;
  remote_clients(const remote_clients&) = delete;
  remote_clients& operator=(const remote_clients&) = delete;
  ~remote_clients();

  /// Runs `op` (an internal operation that reads `current_sender()` and takes
  /// `make_response_promise()`) as if the current message came from the sender's stand-in, so
  /// that `translate` turns its reply into the Protobuf reply. `current` is the actor's
  /// `current_element_`. An anonymous message runs `op` as it is (its reply goes nowhere).
  template <class Op>
  void serve(caf::actor_system& sys, caf::mailbox_element*& current, reply_translator translate,
             Op&& op) {
    auto substitute = stand_in_element(sys, current, translate);
    if (!substitute) {
      op();
      return;
    }
    restore guard{current, std::exchange(current, substitute.get())};
    op();
  }

  /// Forgets the stand-in at `who` after its down message (its client ended). Actors that
  /// monitor no client need not call it: ended stand-ins are also swept out whenever a new
  /// client comes.
  void forget(const caf::actor_addr& who);

private:
  /// Puts the original element back, also if `op` throws.
  struct restore {
    caf::mailbox_element*& current;
    caf::mailbox_element* original;
    ~restore() { current = original; }
  };

  /// A copy of `*current` whose sender is the stand-in of the current sender, with the
  /// original marked answered (its reply now comes through the stand-in); null if anonymous.
  caf::mailbox_element_ptr stand_in_element(caf::actor_system& sys, caf::mailbox_element* current,
                                            reply_translator translate);

  /// Drops the stand-ins that ended.
  void sweep();

  /// The stand-in of `client`, made on first use.
  caf::strong_actor_ptr stand_in_for(caf::actor_system& sys, const caf::strong_actor_ptr& client);

  /// Client address -> its stand-in.
  std::map<caf::actor_addr, caf::strong_actor_ptr> by_client_;
  /// Stand-in address -> its client's address (to forget it by the down message).
  std::map<caf::actor_addr, caf::actor_addr> by_stand_in_;
};

} // namespace troupe::actors::detail
