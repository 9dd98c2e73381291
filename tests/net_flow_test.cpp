// Flow control: a peer that completes the handshake and then never reads must not make the
// sender's memory grow without bound. The sender is slowed (it waits for room, up to the
// send timeout) and then refused with `overloaded`; nothing is queued beyond the window.

#include <atomic>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <caf/all.hpp>

#include "net/node_fixture.hpp"
#include "net/stalled_peer.hpp"
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

using troupe::test::stalled_peer;

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
