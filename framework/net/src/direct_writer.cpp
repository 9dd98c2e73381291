#include "direct_writer.hpp"

#include <cerrno>
#include <limits>

#include <sys/socket.h>

namespace troupe::net::detail {

namespace {

/// The frame buffer keeps at most this much capacity after a write: one huge message must not
/// pin its memory for the life of the link.
constexpr std::size_t keep_capacity = 64 * 1024;

} // namespace

// A batch of one message, closed at once: the frame a connection's protocol would write for a
// message that is alone in its queue (the tables are per frame, so no state is shared with the
// broker's encoder).
direct_writer::direct_writer(std::chrono::nanoseconds quiet_period)
    : quiet_period_(quiet_period), encoder_(std::numeric_limits<std::size_t>::max(), 1) {}

bool direct_writer::may_write() const {
  if (fd_ < 0 || busy_)
    return false;
  // The clock is read last: a stream's queued sends never get this far.
  return credit_ || std::chrono::steady_clock::now() - last_write_ >= quiet_period_;
}

caf::expected<direct_writer::outcome> direct_writer::write(const message_view& msg) {
  frame_.clear();
  if (auto failed = encode_alone(encoder_, msg, send_limit_, frame_))
    return failed;
  ssize_t n = 0;
  do {
    n = ::send(fd_, frame_.data(), frame_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  auto result = outcome::written;
  if (n < 0) {
    // The socket is full (the broker's batches take over until it drains) or broken (the
    // broker sees the same error on its side and closes the connection): queue the message.
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      close();
    result = outcome::queue_it;
  } else if (static_cast<std::size_t>(n) < frame_.size()) {
    // The rest must go out before any other byte: the broker appends it first (see `sync`).
    rest_.assign(frame_.begin() + n, frame_.end());
    busy_ = true;
    ++partial_writes_;
    result = outcome::rest_to_broker;
  }
  if (result != outcome::queue_it) {
    ++writes_;
    credit_ = false;
    last_write_ = std::chrono::steady_clock::now();
  }
  if (frame_.capacity() > keep_capacity)
    std::vector<char>{}.swap(frame_);
  return result;
}

void direct_writer::sync(const broker_write_state& state, std::vector<char>& out) {
  if (!rest_.empty()) {
    out.insert(out.begin(), rest_.begin(), rest_.end());
    std::vector<char>{}.swap(rest_);
  }
  if (closed_ || !state.open) {
    fd_ = -1;
  } else {
    fd_ = state.fd;
    send_limit_ = state.send_limit;
  }
  busy_ = state.unwritten + out.size() > 0;
}

void direct_writer::close() {
  closed_ = true;
  fd_ = -1;
  busy_ = true;
  rest_.clear();
}

} // namespace troupe::net::detail
