#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <caf/expected.hpp>

#include "batch_encoder.hpp"
#include "protocol.hpp"

namespace troupe::net::detail {

/// What the broker tells a link's direct writer whenever it is about to hand bytes to CAF, and
/// when CAF reported all its bytes written.
struct broker_write_state {
  /// The connection's socket (`socket_of`).
  int fd = -1;
  /// True while the handshake is done and the broker keeps the connection (not closing, not
  /// stopping): only then may a sender write to the socket.
  bool open = false;
  /// The largest frame the peer accepts (`protocol::send_limit`).
  uint32_t send_limit = 0;
  /// Bytes the broker handed to CAF earlier that CAF has not written yet.
  std::size_t unwritten = 0;
};

/// Writes a message from the sender's thread straight to its connection's socket when the
/// connection is idle, saving the round trip's hop to the I/O thread (a pipe write and an epoll
/// wake-up, 10-30 µs here) that a queued message costs.
///
/// Order is the whole difficulty: the broker writes to the same socket (batches, heartbeats,
/// replies of its own) through CAF, which sends later, from the I/O thread. So a message goes
/// direct only while the broker holds no unwritten bytes for the connection and nothing is
/// queued for it: the broker reports (`sync`) before it appends anything and when CAF reported
/// everything written, and taking the queue marks the writer busy (`mark_busy`). A write that
/// the socket takes only in part leaves the rest to the broker, which appends it before
/// anything else; until then the writer is busy.
///
/// Streams stay batched: a message goes direct only with a credit, which bytes arriving from
/// the peer re-arm (request/response traffic), or when the last direct write is older than
/// `quiet_period`. Otherwise it is queued as before and travels in the broker's batches.
///
/// Not thread-safe: every member runs under the owning `peer_link`'s mutex, which is also held
/// during the system call. The interleavings that matter:
/// - two senders: one writes while the other waits for the mutex; the second finds the credit
///   spent (it queues) or, after a partial write, the writer busy (it queues behind the rest);
/// - a sender and the broker draining: taking the queue marks the writer busy, and `sync` keeps
///   it busy until CAF reported the broker's bytes written, so a sender either wrote before the
///   broker appended (its bytes are in the kernel first) or queues;
/// - a sender and a disconnect: the broker's `close` waits for a write in progress, and none
///   starts after, so no thread writes to a closed or reused descriptor; a write that fails
///   (EPIPE, ECONNRESET) closes the writer and the message takes the queue, which fails it;
/// - a send during the handshake: the writer opens only at the broker's first `sync` after the
///   handshake, behind the frames held until then;
/// - the rest of a partial write and a heartbeat, a goodbye or an error frame of the broker's:
///   every broker write passes `sync`, which puts the rest in front.
/// - a link that moves to another connection to the same peer (simultaneous connects): only
///   the connection that carries the link reports the writer open, and the one it leaves
///   reports it shut (taking the rest of a partial write, before its Goodbye) before the link
///   moves; while the switch pauses the link no connection carries it, and the writer opens on
///   the winner's socket at the winner's first report. A connection that closes while the
///   writer may write on it closes the writer for good (`close`).
class direct_writer {
public:
  /// What became of a message handed to `write`.
  enum class outcome {
    /// The socket took the whole frame.
    written,
    /// The socket took part of it; the rest waits for the broker (wake it).
    rest_to_broker,
    /// Nothing was written: queue the message as usual.
    queue_it,
  };

  /// By default, a direct write without credit is allowed once the last one is this old: a
  /// stream (no credit) then goes direct at most once per millisecond, batched otherwise.
  static constexpr std::chrono::milliseconds default_quiet_period{1};

  /// Creates a closed writer (it opens when the broker reports the handshake done); without
  /// credit, a message goes direct only once the last direct write is `quiet_period` old.
  explicit direct_writer(std::chrono::nanoseconds quiet_period = default_quiet_period);

  /// True if a message may be written now: open, the broker idle, a credit or a quiet period.
  /// The caller also checks that nothing is queued.
  bool may_write() const;

  /// Encodes `msg` as a frame of its own and writes what the socket takes now.
  /// Errors: those of `encode_alone` (the peer would refuse the message; nothing is written).
  caf::expected<outcome> write(const message_view& msg);

  // -- the broker's side --------------------------------------------------------------------

  /// The broker reports its state (see `broker_write_state`) before it hands `out` to CAF:
  /// the rest of a partial direct write is put in front of `out` (it must go before anything
  /// else), and direct writes wait while any byte of the broker's is unwritten.
  void sync(const broker_write_state& state, std::vector<char>& out);

  /// Bytes arrived from the peer (request/response traffic): the next message may go direct.
  /// The broker calls it before it delivers what it read, so a reply finds the credit.
  void arm() noexcept { credit_ = true; }

  /// The broker took the queue: no direct write until it has written what it took.
  void mark_busy() noexcept { busy_ = true; }

  /// The connection closes or failed: no more direct writes, ever (the descriptor may be
  /// closed and reused as soon as this returns).
  void close();

  /// Messages written directly so far (whole or in part).
  uint64_t writes() const noexcept { return writes_; }

  /// Direct writes the socket took only in part.
  uint64_t partial_writes() const noexcept { return partial_writes_; }

private:
  std::chrono::nanoseconds quiet_period_;
  int fd_ = -1;
  bool closed_ = false;
  bool busy_ = true;
  bool credit_ = false;
  uint32_t send_limit_ = 0;
  std::chrono::steady_clock::time_point last_write_{};
  batch_encoder encoder_;
  std::vector<char> frame_;
  std::vector<char> rest_;
  uint64_t writes_ = 0;
  uint64_t partial_writes_ = 0;
};

} // namespace troupe::net::detail
