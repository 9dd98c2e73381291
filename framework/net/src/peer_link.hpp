#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/error.hpp>
#include <caf/execution_unit.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/ref_counted.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include "direct_writer.hpp"
#include "link_outbox.hpp"
#include "outgoing.hpp"

namespace caf {
class actor_system;
} // namespace caf

namespace troupe::net::detail {

class remote_proxy;
class type_table;

/// Limits of a link's send window, from the node's `troupe.net.*` options.
struct window_config {
  /// Actors (on CAF threads, which never wait) may queue up to this many times the high
  /// watermark before their sends fail with `overloaded`.
  static constexpr size_t hard_limit_factor = 4;
  /// Above this many queued bytes senders are slowed.
  size_t high_watermark = 4 * 1024 * 1024;
  /// Waiting senders resume below this many.
  size_t low_watermark = 1024 * 1024;
  /// How long a sender outside any actor waits for room before its send fails.
  std::chrono::milliseconds send_timeout{10000};
  /// This node's frame limit, in bytes: messages queued before the handshake (when the peer's
  /// limit is not known yet) are checked against it.
  size_t max_message_size = 16 * 1024 * 1024;
  /// Batches close at this many bytes of messages or this many messages (the protocol's
  /// `max_batch_bytes`, `max_batch_messages`).
  size_t max_batch_bytes = 64 * 1024;
  size_t max_batch_messages = 1000;
};

/// Everything this node shares with one peer over one connection (one incarnation of the
/// peer): the outbox of encoded frames that sender threads fill and the broker drains, the
/// proxies of the peer's actors, the local actors the peer may address by id, and the requests
/// pending on the peer. Thread-safe; when the connection is lost, `fail` turns every proxy's
/// monitor into a down message, every pending request into an error, and later sends into
/// errors at their senders.
class peer_link : public caf::ref_counted {
public:
  /// A link to `endpoint` (empty for a peer that connected here and listens nowhere);
  /// `broker` drains it.
  peer_link(caf::actor_system& sys, const type_table& types, caf::actor broker,
            std::string endpoint, window_config cfg);
  ~peer_link() override;

  // -- sending (any thread) -----------------------------------------------------------------

  /// Sends a message that a proxy of this peer received: encodes it here, on the sender's
  /// thread, into the link's open batch (or writes it to an idle connection at once).
  /// `target_id`/`target_name` name the actor on the peer. Failures reach the sender (an
  /// error reply to a request, an error message otherwise). Above the high watermark a thread
  /// outside CAF waits for room (see `admit`).
  void send(uint64_t target_id, const std::string& target_name,
            const caf::strong_actor_ptr& sender, caf::message_id mid,
            const caf::type_erased_tuple& content);

  /// True if one more message fits below the high watermark (or the link failed: the send
  /// then fails with why); otherwise `waiter` gets a `troupe::room_notice` once the broker took
  /// the backlog, or the link failed. For actors, which must never park a thread.
  bool admit_or_notify(const caf::strong_actor_ptr& waiter);

  /// Queues a control item (monitor, demonitor, down, lookup).
  void send_control(outgoing item);

  /// Issues a wire request id for a lookup whose answer goes to `requester` as the response
  /// to `mid`; returns 0 if the link is down (then `requester` already has the error).
  uint64_t start_lookup(const std::string& name, caf::strong_actor_ptr requester,
                        caf::message_id mid);

  // -- proxies and exported actors (any thread) ---------------------------------------------

  /// The proxy of the peer's actor `remote_id`; dead at once (node_down) if the link is down.
  caf::actor proxy_of(uint64_t remote_id);

  /// A proxy that routes every message to whatever holds `name` on the peer.
  caf::actor route_to(const std::string& name);

  /// Remembers `who` so the peer may address it by id; returns its id.
  uint64_t export_actor(const caf::strong_actor_ptr& who);

  /// Forgets the exported actor `id` (it exited).
  void unexport(uint64_t id);

  /// The local actor the peer may address as `id`, or null.
  caf::strong_actor_ptr exported(uint64_t id);

  // -- broker side --------------------------------------------------------------------------

  /// Moves the queued frames to the end of `out` (the broker calls it when it has room in its
  /// window). `writing`: the broker has bytes in flight on the connection. While it writes (or
  /// took something to write) it calls this again when CAF reports the write, so senders do
  /// not wake it; once it is idle, the next item queued wakes it.
  void take_queue(std::vector<char>& out, bool writing);

  /// Reports the broker's writes on the link's connection to the direct writer before it hands
  /// `out` to CAF (see `direct_writer::sync`: the rest of a partial direct write goes first).
  void sync_direct(const broker_write_state& state, std::vector<char>& out);

  /// Bytes arrived from the peer: the next message may go out directly.
  void peer_spoke();

  /// The connection closes: once this returns, no sender writes to its socket.
  void close_direct();

  /// Messages written by their senders straight to the socket, and how many of them only in
  /// part (counters for tests and benchmarks).
  std::pair<uint64_t, uint64_t> direct_writes() const;

  /// The requester and message id of the wire request `id` (removed), or null.
  std::pair<caf::strong_actor_ptr, caf::message_id> take_pending(uint64_t id);

  /// The handshake of one of the link's connections finished: the peer is `incarnation` and
  /// accepts frames of up to `send_limit` bytes. Returns false if the link's peer is another
  /// incarnation (the link is left as it was).
  bool mark_up(uint64_t incarnation, uint32_t send_limit);

  /// The connection is lost (or could not be made): kills every proxy and fails every pending
  /// request and every queued message with `reason`; later sends fail at once. Idempotent.
  void fail(const caf::error& reason);

  /// The proxy of `remote_id` or the route proxy of `name` got a Down: kill it with `reason`.
  void on_down(uint64_t remote_id, const std::string& name, const caf::error& reason);

  /// The error that `fail` recorded, or none while the link lives.
  caf::error failure() const;

  /// True once the handshake is done and until the link fails.
  bool is_up() const;

  /// Bytes queued and not yet taken by the broker.
  size_t backlog() const;

  /// True while senders outside actors gave up waiting for room and the backlog is still high.
  bool overloaded() const;

  /// The endpoint this link was made for (or that the peer announced), may be empty.
  const std::string& endpoint() const noexcept { return endpoint_; }

  /// The peer's incarnation id (0 until the handshake is done).
  uint64_t incarnation() const;

  /// The actor system (for proxies).
  caf::actor_system& system() noexcept { return sys_; }

private:
  struct pending_request {
    caf::weak_actor_ptr requester;
    caf::message_id mid;
  };

  /// Something was queued (the lock is held); true if the caller must wake the broker (after
  /// unlocking), because no wake-up is pending yet.
  bool queued_locked();
  /// Writes `msg` straight to the socket if the connection is idle (the lock is held); true
  /// if it was handled (written, left to the broker, or failed with `failed`), false if it
  /// must be queued. Sets `wake` if the broker must be woken to write the rest.
  bool try_direct(const message_view& msg, bool& wake, caf::error& failed);
  /// Tells the broker that this link has queued items.
  void wake_broker();
  /// Sends a `room_notice` to every actor in `waiters`.
  static void notify_room(std::vector<caf::weak_actor_ptr>& waiters);
  /// Tells the sender of `what` that it failed with `err`.
  static void bounce(const caf::strong_actor_ptr& sender, caf::message_id mid,
                     const caf::error& err);
  /// Applies the send window to one more message (the lock is held): waits for room on
  /// threads outside CAF, refuses with `overloaded` on CAF threads beyond the hard limit.
  caf::error admit(std::unique_lock<std::mutex>& guard);
  caf::actor make_proxy(uint64_t remote_id, const std::string& name);

  caf::actor_system& sys_;
  const type_table& types_;
  /// Weak: the broker's mailbox may hold this link (a wake-up), and CAF 0.17 keeps a stopped
  /// broker's mailbox until the broker is destroyed; a strong reference here would make a
  /// cycle that LeakSanitizer reported.
  caf::weak_actor_ptr broker_;
  std::string endpoint_;
  window_config cfg_;

  mutable std::mutex mtx_;
  std::condition_variable room_;
  caf::error failure_;
  bool up_ = false;
  bool wake_pending_ = false;
  bool overloaded_ = false;
  uint64_t incarnation_ = 0;
  uint64_t next_request_id_ = 1;
  /// The frames queued for the broker, encoded.
  link_outbox outbox_;
  /// `outbox_.bytes()` as of the last change, read without the lock by `admit_or_notify`.
  std::atomic<size_t> queued_bytes_{0};
  /// Writes from the sender's thread while the connection is idle (under `mtx_`).
  direct_writer direct_;
  /// Actors that `admit_or_notify` turned away, told when there is room.
  std::vector<caf::weak_actor_ptr> room_waiters_;
  std::unordered_map<uint64_t, pending_request> pending_;
  std::unordered_map<uint64_t, caf::weak_actor_ptr> exported_;
  std::unordered_map<uint64_t, caf::weak_actor_ptr> proxies_;
  std::unordered_map<std::string, caf::weak_actor_ptr> routes_;
};

/// A counted reference to a link.
using peer_link_ptr = caf::intrusive_ptr<peer_link>;

} // namespace troupe::net::detail
