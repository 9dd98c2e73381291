#pragma once

// A raw-socket peer for the flow-control and direct-write tests: it accepts one connection from
// a node, answers the handshake by hand and then reads only when the test says so.

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "raw_client.hpp"
#include "troupe/wire.pb.h"

namespace troupe::test {

/// A peer that accepts one connection on 127.0.0.1, answers the handshake (no secret) and then
/// never reads again. Its socket closes when it is destroyed.
class stalled_peer {
public:
  stalled_peer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listener_, 1);
    socklen_t len = sizeof(addr);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    endpoint = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    // Shrink the receive buffer so the stall shows at once, not after megabytes.
    int small = 4096;
    ::setsockopt(listener_, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    acceptor_ = std::async(std::launch::async, [this] { return accept_and_greet(); });
  }

  ~stalled_peer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    if (acceptor_.valid())
      acceptor_.wait();
    if (conn_ >= 0)
      ::shutdown(conn_, SHUT_RDWR);
    if (reader_.valid())
      reader_.wait();
    if (conn_ >= 0)
      ::close(conn_);
  }

  /// True once the handshake with the node is done.
  bool greeted() { return acceptor_.get(); }

  /// Starts reading again (after the handshake): a thread reads every frame and counts the
  /// messages of its batches until the node closes the connection. The result is ready once
  /// `expected` messages were read.
  std::future<void> drain(int64_t expected) {
    auto all_read = std::make_shared<std::promise<void>>();
    auto result = all_read->get_future();
    reader_ = std::async(std::launch::async, [this, expected, all_read] {
      troupe::wire::Frame frame;
      while (read_frame(frame)) {
        if (frame.has_batch())
          messages.fetch_add(frame.batch().messages_size());
        if (messages.load() == expected)
          all_read->set_value();
      }
    });
    return result;
  }

  /// Reads (on the calling thread, after the handshake) until `count` messages came in Batch
  /// frames, handing each to `each` with its batch (for its tables); other frames (heartbeats)
  /// are skipped. False if the connection ended first.
  template <class F> bool read_messages(int64_t count, F&& each) {
    timeval patience{30, 0}; // a node that sends nothing more fails the test, never hangs it
    ::setsockopt(conn_, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof(patience));
    troupe::wire::Frame frame;
    while (count > 0 && read_frame(frame)) {
      if (!frame.has_batch())
        continue;
      for (const auto& msg : frame.batch().messages()) {
        each(frame.batch(), msg);
        --count;
      }
    }
    return count <= 0;
  }

  /// Messages read by `drain` so far.
  std::atomic<int64_t> messages{0};

  std::string endpoint;

private:
  bool read_frame(troupe::wire::Frame& frame) {
    unsigned char prefix[4];
    if (::recv(conn_, prefix, 4, MSG_WAITALL) != 4)
      return false;
    uint32_t n = (uint32_t{prefix[0]} << 24) | (uint32_t{prefix[1]} << 16) |
                 (uint32_t{prefix[2]} << 8) | uint32_t{prefix[3]};
    std::string body(n, '\0');
    if (n > 0 && ::recv(conn_, body.data(), n, MSG_WAITALL) != static_cast<ssize_t>(n))
      return false;
    return frame.ParseFromString(body);
  }

  bool accept_and_greet() {
    conn_ = ::accept(listener_, nullptr, nullptr);
    if (conn_ < 0)
      return false;
    troupe::wire::Frame hello;
    if (!read_frame(hello) || !hello.has_hello())
      return false;
    troupe::wire::Frame challenge;
    auto* c = challenge.mutable_challenge();
    c->set_version(1);
    c->set_incarnation(troupe::test::raw_client::random64());
    c->set_nonce(troupe::test::raw_client::random_bytes(32));
    c->set_max_frame_size(16 * 1024 * 1024);
    auto bytes = troupe::test::raw_client::encode(challenge);
    ::send(conn_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    troupe::wire::Frame welcome;
    return read_frame(welcome) && welcome.has_welcome();
  }

  int listener_ = -1;
  int conn_ = -1;
  std::future<bool> acceptor_;
  std::future<void> reader_;
};

} // namespace troupe::test
