// Flow control: a peer that completes the handshake and then never reads must not make the
// sender's memory grow without bound. The sender is slowed (it waits for room, up to the
// send timeout) and then refused with `overloaded`; nothing is queued beyond the window.

#include <fstream>
#include <future>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/all.hpp>

#include "net/node_fixture.hpp"
#include "net/raw_client.hpp"
#include "test_helpers.hpp"
#include "troupe/net/error.hpp"

using namespace std::chrono_literals;

namespace {

/// The resident set size of this process, in bytes (VmRSS of /proc/self/status).
size_t resident_bytes() {
  std::ifstream status{"/proc/self/status"};
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      size_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(1 << 16, '\n');
  }
  return 0;
}

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
      ::close(conn_);
  }

  /// True once the handshake with the node is done.
  bool greeted() { return acceptor_.get(); }

  std::string endpoint;

private:
  bool accept_and_greet() {
    conn_ = ::accept(listener_, nullptr, nullptr);
    if (conn_ < 0)
      return false;
    auto read_frame = [this](troupe::wire::Frame& frame) {
      unsigned char prefix[4];
      if (::recv(conn_, prefix, 4, MSG_WAITALL) != 4)
        return false;
      uint32_t n = (uint32_t{prefix[0]} << 24) | (uint32_t{prefix[1]} << 16) |
                   (uint32_t{prefix[2]} << 8) | uint32_t{prefix[3]};
      std::string body(n, '\0');
      if (n > 0 && ::recv(conn_, body.data(), n, MSG_WAITALL) != static_cast<ssize_t>(n))
        return false;
      return frame.ParseFromString(body);
    };
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
};

void small_window(troupe::config& cfg) {
  troupe::net::set_option(cfg, "high-watermark", size_t{1} << 20);
  troupe::net::set_option(cfg, "low-watermark", size_t{256} << 10);
  troupe::net::set_option(cfg, "send-timeout", caf::timespan{300ms});
  // The stalled peer sends no heartbeats: keep it "alive" for the whole test.
  troupe::net::set_option(cfg, "peer-timeout", caf::timespan{60s});
}

} // namespace

TEST_CASE("flow: a stalled peer slows and then refuses the sender; memory stays bounded") {
  stalled_peer peer;
  troupe::test::net_system local{small_window};
  auto before = resident_bytes();
  constexpr int32_t attempts = 10'000'000;
  caf::error refused;
  int32_t accepted = 0;
  for (int32_t i = 0; i < attempts && !refused; ++i) {
    refused = local.sys.send("sink@" + peer.endpoint, i);
    if (!refused)
      ++accepted;
  }
  REQUIRE(peer.greeted());
  CHECK(refused == troupe::net::make_error(troupe::net::error_code::overloaded));
  // The window is 1 MiB of queued bytes, plus what CAF and the kernel hold for the socket.
  auto growth = resident_bytes() - std::min(before, resident_bytes());
  MESSAGE("accepted " << accepted << " messages before refusing; RSS grew by " << growth / 1024
                      << " KiB");
  CHECK(accepted < attempts);
  CHECK(growth < size_t{64} << 20);
}
