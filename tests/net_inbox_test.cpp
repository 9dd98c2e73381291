// Receiving backpressure: a node stops reading a peer while the messages it delivered from that
// peer wait unconsumed in local mailboxes above troupe.net.inbox-high-watermark, and reads again
// once they fall to the low watermark; nothing is lost or reordered.

#include <string>
#include <thread>

#include <caf/all.hpp>

#include "net/node_fixture.hpp"
#include "node_access.hpp"
#include "test_helpers.hpp"

using troupe::test::net_system;
using troupe::test::patience;
using troupe::test::probe;
using troupe::test::start_node;

namespace {

constexpr size_t high = 1000;
constexpr size_t low = 250;

/// Messages two reads (64 KiB each: the one that crosses the watermark and at most one more)
/// can hold: each int32 message takes at least 5 bytes.
constexpr size_t per_read = 2 * 64 * 1024 / 5;

void small_inbox(troupe::config& cfg) {
  troupe::net::set_option(cfg, "inbox-high-watermark", high);
  troupe::net::set_option(cfg, "inbox-low-watermark", low);
}

} // namespace

TEST_CASE("inbox: a node stops reading a peer while its actors lag and reads again after") {
  constexpr int32_t n = 100'000;
  net_system local{small_inbox};
  auto endpoint = local.node().listen("127.0.0.1:0");
  REQUIRE(endpoint);
  probe sink{local.sys};
  REQUIRE(!local.sys.register_name("sink", sink.handle()));
  auto peer = start_node("127.0.0.1:0", {"--troupe.net.send-timeout=60s"});
  REQUIRE(peer.process->write_line("send sink@" + *endpoint + " " + std::to_string(n)));
  // The sink reads nothing yet: the node must halt reading the peer. (Checked between yields of
  // this thread: the event has no message to wait on.)
  auto deadline = std::chrono::steady_clock::now() + patience;
  auto report = troupe::net::detail::inbox_of(local.node());
  while (!report.halted && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
    report = troupe::net::detail::inbox_of(local.node());
  }
  REQUIRE_MESSAGE(report.halted,
                  "the node kept reading although " << report.waiting << " messages wait");
  CHECK(report.waiting > high);
  CHECK(report.waiting <= high + per_read);
  // Now the sink takes everything: the node reads again, nothing is lost or reordered.
  for (int32_t i = 0; i < n; ++i) {
    auto x = troupe::test::detail::next_message<int32_t>::get(*sink, caf::duration{patience});
    if (!x) {
      report = troupe::net::detail::inbox_of(local.node());
      auto line = peer.process->read_line(std::chrono::milliseconds{100});
      CAPTURE(line.value_or("(nothing)"));
      FAIL("message " << i << " did not come; waiting " << report.waiting << ", halted "
                      << report.halted);
    }
    if (*x != i)
      REQUIRE(*x == i);
  }
  auto sent = peer.process->expect_line("sent ", patience);
  REQUIRE(sent.has_value());
  CHECK(*sent == std::to_string(n));
  report = troupe::net::detail::inbox_of(local.node());
  CHECK(report.peak <= high + per_read);
  CHECK(report.waiting == 0);
}
