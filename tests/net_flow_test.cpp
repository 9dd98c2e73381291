// Flow control: a peer that completes the handshake and then never reads must not make the
// sender's memory grow without bound. The sender is slowed (it waits for room, up to the
// send timeout) and then refused with `overloaded`; nothing is queued beyond the window.

#include <atomic>
#include <fstream>
#include <future>
#include <memory>
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

/// How much a sender facing a stalled peer may grow: 64 MiB; under AddressSanitizer, whose
/// quarantine keeps up to 256 MiB of freed memory mapped, 384 MiB (10 M queued messages would
/// take gigabytes either way).
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t memory_bound = size_t{384} << 20;
#else
constexpr size_t memory_bound = size_t{64} << 20;
#endif

void small_window(troupe::config& cfg) {
  troupe::net::set_option(cfg, "high-watermark", size_t{1} << 20);
  troupe::net::set_option(cfg, "low-watermark", size_t{256} << 10);
  troupe::net::set_option(cfg, "send-timeout", caf::timespan{300ms});
  // The stalled peer sends no heartbeats: keep it "alive" for the whole test.
  troupe::net::set_option(cfg, "peer-timeout", caf::timespan{60s});
}

void tiny_window_short_waits(troupe::config& cfg) {
  small_window(cfg);
  troupe::net::set_option(cfg, "high-watermark", size_t{256} << 10);
  troupe::net::set_option(cfg, "low-watermark", size_t{64} << 10);
  cfg.request_timeout = 300ms; // how long a paced send waits for room
}

/// Sends `n` numbered messages to `address` with `send_paced`; when a send gives up waiting it
/// reports `("blocked", i, error)` and waits for a "go" before it tries message `i` again; at
/// the end it reports `("done", n, none)`.
troupe::task paced_sender(troupe::co_actor& self, std::string address, int32_t n,
                          caf::actor report) {
  for (int32_t i = 0; i < n;) {
    auto err = co_await self.send_paced(address, i);
    if (!err) {
      ++i;
      continue;
    }
    self.send(report, std::string{"blocked"}, i, err);
    (void) co_await self.receive<std::string>();
  }
  self.send(report, std::string{"done"}, n, caf::error{});
}

} // namespace

TEST_CASE("flow: a stalled peer slows and then refuses the sender, memory stays bounded") {
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
  CHECK(growth < memory_bound);
}

TEST_CASE("flow: a coroutine's paced send waits for room instead of being refused") {
  stalled_peer peer;
  troupe::test::net_system local{tiny_window_short_waits};
  troupe::test::probe p{local.sys};
  // Far more than four windows of 256 KiB: plain sends from an actor would be refused with
  // `overloaded` long before the end.
  constexpr int32_t n = 300'000;
  auto sender = local.sys.spawn(paced_sender, "sink@" + peer.endpoint, n, p.handle());
  auto [what, at, err] = troupe::test::next<std::tuple<std::string, int32_t, caf::error>>(p);
  REQUIRE(peer.greeted());
  // It waited (the peer reads nothing) and gave up after its timeout: it was never refused.
  CHECK(what == "blocked");
  CHECK(err == caf::sec::request_timeout);
  CHECK(at > 0);
  CHECK(at < n);
  // The peer reads again: the sender goes on and every message arrives.
  auto all_read = peer.drain(n);
  caf::anon_send(sender, std::string{"go"});
  for (;;) {
    auto [next_what, next_at, next_err] =
      troupe::test::next<std::tuple<std::string, int32_t, caf::error>>(p);
    if (next_what == "done")
      break;
    // A slow reader on a loaded machine may let one more wait time out: go on.
    CHECK(next_err == caf::sec::request_timeout);
    caf::anon_send(sender, std::string{"go"});
  }
  // The batches the peer reads hold every message, none lost, none twice.
  CHECK(all_read.wait_for(troupe::test::patience) == std::future_status::ready);
  CHECK(peer.messages.load() == n);
}
