// Two nodes that connect to each other at the same moment end with one connection, used in both
// directions: the one opened by the node with the smaller incarnation. The other is given up
// without losing or reordering a message (its frames go first, or it is drained and closed).

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include <csignal>

#include <caf/all.hpp>

#include "net/node_fixture.hpp"
#include "net/sequence_traffic.hpp"
#include "net_protocol_harness.hpp"
#include "node_access.hpp"
#include "test_helpers.hpp"

using namespace std::chrono_literals;
using troupe::net::detail::keeps_own_connection;
using troupe::net::test::config;
using troupe::net::test::t0;
using troupe::test::link_of;
using troupe::test::net_system;
using troupe::test::patience;
using troupe::test::probe;
using troupe::test::remote_node;
using troupe::test::run_mixed_senders;
using troupe::test::start_node;

namespace {

/// Adds the int32 `value` to `name` as one message (raw payload bytes are enough here).
void add_value(troupe::net::detail::protocol& proto, int32_t value) {
  std::string bytes = std::to_string(value);
  troupe::net::detail::payload_view payload{"type.googleapis.com/test.Value", bytes};
  troupe::net::detail::message_view msg;
  msg.target.name = "order";
  msg.payload = std::span{&payload, 1};
  REQUIRE(!proto.add_message(msg));
}

/// Counts int32 values that arrive as 0, 1, 2, ...; "check" answers the count, or
/// -(index + 1) of the first value out of order.
caf::behavior order_checker(caf::event_based_actor*, std::shared_ptr<int64_t> count) {
  auto broken = std::make_shared<int64_t>(0);
  return {
    [count, broken](int32_t x) {
      if (*broken == 0 && x != *count)
        *broken = -(*count + 1);
      ++*count;
    },
    [count, broken](const std::string&) -> int64_t { return *broken != 0 ? *broken : *count; },
  };
}

/// Starts a peer node and makes it and `local` (listening at `endpoint`) connect to each other
/// at the same moment: the peer is stopped while `local` connects to it (sending 0 to the
/// peer's "order" actor), and is told to send 0..n-1 to local's "order" actor before it goes on.
/// Then `local` sends 1..n-1 to the peer's "order" actor.
remote_node start_crossing(net_system& local, const std::string& endpoint, int32_t n) {
  auto peer = start_node("127.0.0.1:0");
  peer.process->kill(SIGSTOP);
  REQUIRE(!local.sys.send("order@" + peer.endpoint, int32_t{0}));
  REQUIRE(peer.process->write_line("send order@" + endpoint + " " + std::to_string(n)));
  peer.process->kill(SIGCONT);
  for (int32_t i = 1; i < n; ++i) {
    auto failed = local.sys.send("order@" + peer.endpoint, i);
    REQUIRE_MESSAGE(!failed, local.sys.engine().render(failed));
  }
  return peer;
}

/// Waits until the peer's "sent" line reports `n` and both "order" actors counted `n` values in
/// order.
void check_crossing(net_system& local, remote_node& peer, int32_t n) {
  auto sent = peer.process->expect_line("sent ", patience);
  REQUIRE_MESSAGE(sent.has_value(), "the peer did not send");
  CHECK(*sent == std::to_string(n));
  auto remote_count =
    local.sys.request<int64_t>("order@" + peer.endpoint, patience, std::string{"check"});
  REQUIRE(remote_count);
  CHECK(*remote_count == n);
  auto local_count = local.sys.request<int64_t>("order", patience, std::string{"check"});
  REQUIRE(local_count);
  CHECK(*local_count == n);
}

/// Checks that one connection remains on both sides (the other closes once the peer read all of
/// it; each question is a round trip, no sleep).
void check_one_connection(net_system& local, remote_node& peer) {
  int64_t remote_connections = -1;
  size_t local_connections = 0;
  auto deadline = std::chrono::steady_clock::now() + patience;
  do {
    auto count =
      local.sys.request<int64_t>("stats@" + peer.endpoint, patience, std::string{"connections"});
    REQUIRE(count);
    remote_connections = *count;
    local_connections = troupe::net::detail::connections_held(local.node());
  } while ((remote_connections != 1 || local_connections != 1) &&
           std::chrono::steady_clock::now() < deadline);
  CHECK(remote_connections == 1);
  CHECK(local_connections == 1);
}

/// This node listening with an "order" actor, and a peer that it and the peer connected to each
/// other at the same moment: `n` values went each way in order, and one connection remains.
struct crossed_nodes {
  net_system local;
  caf::actor order;
  remote_node peer;

  explicit crossed_nodes(int32_t n) {
    auto endpoint = local.node().listen("127.0.0.1:0");
    REQUIRE(endpoint);
    order = local.sys.engine().spawn(order_checker, std::make_shared<int64_t>(0));
    REQUIRE(!local.sys.register_name("order", order));
    peer = start_crossing(local, *endpoint, n);
    check_crossing(local, peer, n);
    check_one_connection(local, peer);
  }

  ~crossed_nodes() { caf::anon_send_exit(order, caf::exit_reason::kill); }
};

} // namespace

TEST_CASE("simultaneous connect: both nodes keep the connection opened by the smaller id") {
  std::mt19937_64 gen{20261130};
  for (int i = 0; i < 1000; ++i) {
    auto a = gen() | 1;
    auto b = gen() | 1;
    if (a == b)
      continue;
    // A keeps its own connection (A -> B) exactly when B gives up its own (B -> A) and keeps
    // A's: both keep the same one, and it is the one opened by the smaller incarnation.
    CHECK(keeps_own_connection(a, b) == !keeps_own_connection(b, a));
    CHECK(keeps_own_connection(a, b) == (a < b));
  }
}

TEST_CASE("simultaneous connect: frames held by the losing connection go first on the winner") {
  // Node A (incarnation 2) opened a connection to B that is still shaking hands, with messages
  // 0-4 held for its end; B (incarnation 1) connected to A too, and B's connection is kept.
  troupe::net::test::connection losing{config(2, "127.0.0.1:2"), config(1, "127.0.0.1:1")};
  troupe::net::test::connection kept{config(1, "127.0.0.1:1"), config(2, "127.0.0.1:2")};
  kept.pump();
  REQUIRE(kept.acceptor.proto.current_state() == troupe::net::detail::protocol::state::established);
  auto& a_losing = losing.connector.proto;
  auto& a_kept = kept.acceptor.proto;
  for (int32_t i = 0; i < 5; ++i)
    add_value(a_losing, i);
  a_losing.flush();
  REQUIRE(a_losing.held_bytes() > 0);
  a_kept.write_frames(a_losing.take_held());
  CHECK(a_losing.held_bytes() == 0);
  for (int32_t i = 5; i < 10; ++i)
    add_value(a_kept, i);
  a_kept.flush();
  kept.pump();
  auto& got = kept.connector.rec.messages;
  REQUIRE(got.size() == 10);
  for (int32_t i = 0; i < 10; ++i)
    CHECK(got[static_cast<size_t>(i)].payload.at(0).second == std::to_string(i));
}

TEST_CASE("simultaneous connect: two nodes that send to each other at once keep one connection") {
  // Each side gets every message, in order, and one connection remains.
  crossed_nodes nodes{20'000};
}

TEST_CASE("simultaneous connect: after the switch, requests and sends in both directions keep "
          "their order, and requests go direct again") {
  crossed_nodes nodes{5'000}; // a switch is over
  auto& local = nodes.local;
  auto& peer = nodes.peer;
  // Whichever node's link moved to the other's connection (the node with the larger
  // incarnation gives its own up), both directions now mix requests, awaited replies and
  // streams on the one connection left: this node's senders to the peer's "sequence" actor,
  // and the peer's replies to them.
  auto seq = local.sys.lookup("sequence@" + peer.endpoint);
  REQUIRE(seq);
  auto direct_before = link_of(*seq).direct_writes().first;
  probe p{local.sys};
  constexpr int32_t senders = 4;
  constexpr int32_t per_sender = 3000;
  run_mixed_senders(local.sys, p, *seq, senders, per_sender);
  // The link's direct writer works on the connection that carries the link now (after a switch,
  // the winner): requests went out directly.
  auto [direct, partial] = link_of(*seq).direct_writes();
  std::string side = keeps_own_connection(local.node().incarnation(), std::stoull(peer.incarnation))
                       ? "kept its own connection"
                       : "gave its own connection up";
  MESSAGE("this node " << side << "; direct writes: " << direct << " (partial: " << partial << ")");
  CHECK(direct > direct_before);
}
