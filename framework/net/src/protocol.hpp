#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

#include "troupe/net/error.hpp"

namespace troupe::net::detail {

class batch_encoder;
class replay_guard;

/// The clock of the protocol's timers; callers pass its time points in, the protocol never
/// reads a clock itself (so tests drive it with made-up times).
using protocol_clock = std::chrono::steady_clock;

/// The protocol version this implementation speaks (Hello.version, Challenge.version).
constexpr uint32_t protocol_version = 1;

/// Size of the handshake nonces and of the HMAC-SHA256 proofs, in bytes.
constexpr std::size_t nonce_size = 32;

/// The smallest frame limit a side may have (every control frame fits under it); a peer that
/// announces less is refused, a smaller `protocol_config::max_frame_size` is raised to it.
constexpr uint32_t min_frame_size = 64 * 1024;

/// Which connection stays when two nodes opened one to each other at the same moment: the one
/// opened by the node with the smaller incarnation. Returns true if that is the connection this
/// node (`own_incarnation`) opened; the peer, deciding with the arguments swapped, agrees.
constexpr bool keeps_own_connection(uint64_t own_incarnation, uint64_t peer_incarnation) {
  return own_incarnation < peer_incarnation;
}

/// Settings of one connection's protocol; the node fills them from its `troupe.net.*` options.
struct protocol_config {
  /// This process's incarnation id: random, drawn once per process start.
  uint64_t incarnation = 0;
  /// The endpoint this node listens on ("127.0.0.1:4000", "unix:/path"), empty if none.
  std::string endpoint;
  /// The shared secret; empty means none (then the peer must have none either).
  std::string secret;
  /// Largest frame body accepted from the peer (and announced to it), in bytes; at least
  /// `min_frame_size`.
  uint32_t max_frame_size = 16 * 1024 * 1024;
  /// A batch is closed into a frame once its messages reach this many bytes...
  std::size_t max_batch_bytes = 64 * 1024;
  /// ...or this many messages, so that control frames (heartbeats) never wait long.
  std::size_t max_batch_messages = 1000;
  /// A heartbeat is sent this often once the handshake is done.
  std::chrono::milliseconds heartbeat_interval{1000};
  /// The peer counts as lost when nothing at all arrived from it for this long.
  std::chrono::milliseconds silence_bound{4000};
  /// The handshake must be done this long after `start`.
  std::chrono::milliseconds handshake_timeout{5000};
};

/// An actor on the receiving node, by name (when `name` is not empty) or by id.
struct actor_target {
  /// Actor id on the node that holds the actor (0 when addressed by name).
  uint64_t id = 0;
  /// Registered name; empty when addressed by id.
  std::string_view name;
};

/// A `caf::error` as carried on the wire (`ErrorValue`): code 0 and no category means none.
struct error_view {
  /// The error's code within its category.
  uint32_t code = 0;
  /// The category atom as text, e.g. "system", "exit", "troupe_net".
  std::string_view category;
  /// Human-readable context (may be empty).
  std::string_view text;
};

/// One payload element: a serialized value and its type URL (google.protobuf.Any semantics).
struct payload_view {
  /// E.g. "type.googleapis.com/google.protobuf.Int32Value".
  std::string_view type_url;
  /// The serialized value.
  std::string_view value;
};

/// One actor message, received or to send. Views are valid only during the call.
struct message_view {
  /// The receiver; ignored for replies (routed by `reply_to`).
  actor_target target;
  /// The sending actor's id on the sending node, 0 if none.
  uint64_t sender_id = 0;
  /// Non-zero: a request whose reply must carry this id in `reply_to`.
  uint64_t request_id = 0;
  /// Non-zero: the reply to the request with this id.
  uint64_t reply_to = 0;
  /// The message's elements in order.
  std::span<const payload_view> payload;
  /// Set for an error reply (then `payload` is empty).
  const error_view* error = nullptr;
};

/// An `Error` frame received from the peer.
struct peer_error {
  /// The peer's troupe_net code (a number this version may not know).
  uint32_t code = 0;
  /// The peer's explanation.
  std::string_view text;
  /// True if the peer closes the connection (then the protocol is closed too).
  bool closing = false;
  /// Non-zero: the request with this id, sent from here, failed.
  uint64_t request_id = 0;
  /// Non-zero: the local actor that sent the failed message.
  uint64_t actor_id = 0;
};

/// What a connection's protocol reports to its node. Callbacks run inside `consume` and `tick`;
/// they may call the protocol's `send_*` functions (but not `consume` or `tick`).
class protocol_callee {
public:
  virtual ~protocol_callee() = default;

  /// The handshake succeeded; data may flow. Called once.
  virtual void on_handshake_done(uint64_t peer_incarnation, std::string_view peer_endpoint) = 0;

  /// A message for a local actor arrived. If it cannot be delivered (unknown target or type),
  /// the node answers `protocol::reject(msg, code, text)` and the connection lives on.
  virtual void on_message(const message_view& msg) = 0;

  /// A reply (`msg.reply_to` non-zero) to a request sent from here arrived. A reply to an
  /// unknown request id is answered with `reject(msg, error_code::unknown_request, ...)`.
  virtual void on_reply(const message_view& msg) = 0;

  /// The peer asks for a Down when the target exits (at once if it does not exist).
  virtual void on_monitor(const actor_target& target) = 0;

  /// The peer withdraws a monitor on the target.
  virtual void on_demonitor(const actor_target& target) = 0;

  /// An actor on the peer that was monitored from here exited (`actor.name` is set when the
  /// monitor used a name).
  virtual void on_down(const actor_target& actor, const error_view& reason) = 0;

  /// The peer asks which actor holds `name`; answer with `send_lookup_result`.
  virtual void on_lookup(std::string_view name, uint64_t request_id) = 0;

  /// The answer to `send_lookup`: an actor id, or (when `actor_id` is 0) an error.
  virtual void on_lookup_result(uint64_t request_id, uint64_t actor_id,
                                const error_view& error) = 0;

  /// The peer sent an `Error` frame. With `err.closing` the connection is over.
  virtual void on_peer_error(const peer_error& err) = 0;

  /// A heartbeat arrived (liveness is tracked by the protocol already).
  virtual void on_heartbeat() = 0;

  /// The peer closes on purpose; the connection is over.
  virtual void on_goodbye(std::string_view reason) = 0;

  /// This side found a protocol violation, a failed handshake, a handshake timeout or a silent
  /// peer. An `Error` frame with `closing` set is already in `output()`: write it, then close.
  virtual void on_protocol_error(error_code code, std::string_view text) = 0;
};

/// The wire protocol of one connection, free of I/O (as CAF's basp::instance): it parses the
/// bytes read, reports what they mean to a `protocol_callee`, and appends the bytes to write to
/// `output()`. It runs the handshake (version check, HMAC-SHA256 proofs in both directions over
/// fresh nonces, replay refusal), batches outgoing messages into frames with de-duplicated
/// tables, and keeps the heartbeat and timeout bookkeeping on times passed in.
/// Not thread-safe: one connection, one thread (the broker's).
class protocol {
public:
  /// Which side of the connection this is: the connector sends Hello, the acceptor answers.
  enum class role { connector, acceptor };

  /// Where the connection is in its life.
  enum class state {
    created,
    awaiting_hello,
    awaiting_challenge,
    awaiting_welcome,
    established,
    closed
  };

  /// Creates the protocol of one connection. `callee` and `guard` must outlive it.
  protocol(role r, protocol_config cfg, protocol_callee& callee, replay_guard& guard);

  ~protocol();

  protocol(const protocol&) = delete;
  protocol& operator=(const protocol&) = delete;

  /// Starts the handshake at `now`: the connector writes Hello; both arm the handshake timeout.
  void start(protocol_clock::time_point now);

  /// Parses `bytes` (any split of the stream: part of a frame, many frames) read at `now`.
  /// Returns false when the connection must close (after writing `output()`); the reason was
  /// reported through the callee. Input after that is ignored.
  bool consume(std::span<const char> bytes, protocol_clock::time_point now);

  /// Runs the timers at `now`: writes a heartbeat when one is due, and fails the connection
  /// (`handshake_timeout`, or `node_down` for a silent peer). Returns false when it must close.
  bool tick(protocol_clock::time_point now);

  /// Counts the peer as heard from at `now`: the node does not read this connection for now
  /// (its local actors lag), so silence is not the peer's.
  void note_alive(protocol_clock::time_point now);

  /// Returns when `tick` should run next.
  protocol_clock::time_point next_deadline() const;

  /// Adds a message to the open batch (closing the batch into a frame first if it is full).
  /// Before the handshake is done, finished frames are held and released when it is; the
  /// peer's frame limit is not known then, so they are checked against this side's own.
  /// Errors: `frame_too_large` if the message alone exceeds the peer's frame limit (nothing is
  /// written); `cannot_cross` if its target name or a type URL is not valid UTF-8 (the peer
  /// would refuse the whole frame); `unexpected_frame` once closed; `malformed_frame` if it has
  /// neither target nor `reply_to`, both `request_id` and `reply_to`, or an error with a
  /// payload or without `reply_to`. An error reply's text
  /// is repaired as the texts of control frames are (see below).
  caf::error add_message(const message_view& msg);

  /// Closes the open batch (if any) into a frame in `output()`. Call it when the node has no
  /// more messages at hand, e.g. at the end of a read or of a mailbox drain.
  void flush();

  // Control frames. Their texts and names are made valid UTF-8 (ill-formed bytes replaced by
  // U+FFFD) and texts are cut to 4 KiB, so that the peer never refuses a frame for them.

  /// Writes a Monitor frame (after the open batch, to keep order).
  void send_monitor(const actor_target& target);

  /// Writes a Demonitor frame.
  void send_demonitor(const actor_target& target);

  /// Writes a Down frame: the actor exited with `reason`, after every message sent before.
  void send_down(const actor_target& actor, const error_view& reason);

  /// Writes a Lookup frame asking the peer who holds `name`.
  void send_lookup(std::string_view name, uint64_t request_id);

  /// Writes a LookupResult: `actor_id`, or (when 0) `error`.
  void send_lookup_result(uint64_t request_id, uint64_t actor_id, const error_view& error);

  /// Writes a non-closing Error frame about one failed message: the peer fails its request
  /// `request_id` (if non-zero) or reports to its actor `actor_id` (if non-zero).
  void send_error(error_code code, std::string_view text, uint64_t request_id, uint64_t actor_id);

  /// Answers a received message that cannot be delivered: `send_error` with its request id
  /// and sender.
  void reject(const message_view& msg, error_code code, std::string_view text);

  /// Writes Goodbye and closes the protocol (input is ignored from now on).
  void send_goodbye(std::string_view reason);

  /// Writes Goodbye after the open batch but keeps reading: for a connection that this node
  /// gives up for another to the same peer, which the peer closes once it has read it. The
  /// node writes nothing more on it.
  void say_goodbye(std::string_view reason);

  /// The bytes to write to the socket, in order. The node moves them out and clears it.
  std::vector<char>& output();

  /// Bytes of frames held until the handshake is done (they count against the send window).
  std::size_t held_bytes() const;

  /// Moves out the frames held until the handshake is done (none was written), e.g. to send them
  /// on another connection to the same peer instead.
  std::vector<char> take_held();

  /// Writes complete frames encoded by another connection's protocol (`take_held`) after the
  /// open batch, as if they had been added here. Ignored once closed.
  void write_frames(std::span<const char> frames);

  /// Returns the current state.
  state current_state() const;

  /// The peer's incarnation id (0 until its Hello or Challenge is accepted).
  uint64_t peer_incarnation() const;

  /// The endpoint the peer listens on, empty if it did not tell one.
  std::string_view peer_endpoint() const;

  /// The largest frame the peer accepts (the smaller of the two limits), valid once
  /// established.
  uint32_t send_limit() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Adds `msg` to the open batch of `encoder` (closing full batches into `sink`) with the checks
/// and repairs of `protocol::add_message`, for a peer whose frame limit is `limit`. Errors: as
/// `add_message`'s (`frame_too_large`, `cannot_cross`, `malformed_frame`); then nothing changes.
caf::error add_checked(batch_encoder& encoder, const message_view& msg, uint32_t limit,
                       std::vector<char>& sink);

/// Appends `msg` alone to `sink` as one Batch frame for a peer whose frame limit is `limit`, with
/// the checks and repairs of `protocol::add_message`: the frame that a connection's protocol
/// would write for it, made outside the protocol (a sender's thread writing straight to an idle
/// connection). `encoder` holds no message before and after. Errors: as `add_message`'s
/// (`frame_too_large`, `cannot_cross`, `malformed_frame`); then nothing is appended.
caf::error encode_alone(batch_encoder& encoder, const message_view& msg, uint32_t limit,
                        std::vector<char>& sink);

} // namespace troupe::net::detail
