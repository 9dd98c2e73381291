// Direct writes between real processes: messages that senders write straight to an idle
// connection and messages the broker batches from the queue mix on one connection without
// losing or reordering anything, a write the socket takes only in part is completed before
// anything else, and sends racing a lost connection fail at their senders.

#include <csignal>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <caf/all.hpp>
#include <google/protobuf/wrappers.pb.h>

#include "net/node_fixture.hpp"
#include "net/stalled_peer.hpp"
#include "remote_proxy.hpp"
#include "test_helpers.hpp"
#include "troupe/co_actor.hpp"
#include "troupe/net/error.hpp"

using namespace std::chrono_literals;
using troupe::test::net_system;
using troupe::test::next;
using troupe::test::patience;
using troupe::test::probe;
using troupe::test::slow_reconnect;
using troupe::test::start_node;

namespace {

/// The link behind a proxy: its counters tell whether direct writes happened.
troupe::net::detail::peer_link& link_of(const caf::actor& proxy) {
  auto* raw =
    dynamic_cast<troupe::net::detail::remote_proxy*>(caf::actor_cast<caf::abstract_actor*>(proxy));
  REQUIRE(raw != nullptr);
  return raw->link();
}

/// Sends `n` numbered messages to the remote "sequence" actor as sender `id`: in each 50, ten
/// requests awaited one by one (request/response: direct writes), then forty plain sends (a
/// stream: queued and batched). Reports `(id, replies that were missing or wrong)`.
troupe::task mixed_sender(troupe::co_actor& self, caf::actor dest, int32_t id, int32_t n,
                          caf::actor report) {
  int32_t wrong = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (i % 3 == 0) {
      auto reply = co_await self.request<int32_t>(dest, patience, std::string{"ack"}, id, i);
      if (!reply || *reply != i)
        ++wrong;
    } else {
      self.send(dest, id, i);
    }
  }
  self.send(report, id, wrong);
}

/// Asks the remote "sequence" actor for its verdict (count, or minus the messages out of order).
int64_t sequence_verdict(probe& p, const caf::actor& seq) {
  int64_t verdict = 0;
  p->request(seq, patience, std::string{"check"})
    .receive([&](int64_t x) { verdict = x; },
             [&](caf::error& err) { FAIL("check failed: " << caf::to_string(err)); });
  return verdict;
}

/// A long silence bound: the stalled peer sends no heartbeats.
void patient(troupe::config& cfg) {
  troupe::net::set_option(cfg, "peer-timeout", caf::timespan{60s});
}

/// `size` bytes whose content depends on `seed`, so a shifted or mixed-up copy is noticed.
std::string pattern(size_t size, int seed) {
  std::string result(size, '\0');
  for (size_t i = 0; i < size; ++i)
    result[i] = static_cast<char>('a' + (i * 7 + static_cast<size_t>(seed)) % 26);
  return result;
}

/// Sends requests ("ack", id, i) to `dest` until one fails; reports `(id, replies, error)`,
/// and `(id, -1, none)` once it has had 20 replies (so the test knows traffic flows).
troupe::task requester(troupe::co_actor& self, caf::actor dest, int32_t id, caf::actor report) {
  for (int32_t i = 0;; ++i) {
    auto reply = co_await self.request<int32_t>(dest, patience, std::string{"ack"}, id, i);
    if (!reply) {
      self.send(report, id, i, reply.error());
      co_return;
    }
    if (i == 20)
      self.send(report, id, int32_t{-1}, caf::error{});
  }
}

} // namespace

TEST_CASE("direct: per-sender order holds when direct writes and queued batches alternate") {
  for (auto listen : {std::string{"127.0.0.1:0"}, troupe::test::unix_endpoint()}) {
    CAPTURE(listen);
    auto peer = start_node(listen);
    net_system local;
    auto seq = local.sys.lookup("sequence@" + peer.endpoint);
    REQUIRE(seq);
    probe p{local.sys};
    constexpr int32_t senders = 8;
    constexpr int32_t n = 6000;
    for (int32_t id = 0; id < senders; ++id)
      local.sys.spawn(mixed_sender, *seq, id, n, p.handle());
    for (int32_t i = 0; i < senders; ++i) {
      auto [id, wrong] = next<std::tuple<int32_t, int32_t>>(p);
      CAPTURE(id);
      CHECK(wrong == 0);
    }
    // Every message arrived, and each sender's in the order sent (a negative verdict counts
    // the messages out of order).
    CHECK(sequence_verdict(p, *seq) == int64_t{senders} * n);
    auto [direct, partial] = link_of(*seq).direct_writes();
    MESSAGE("direct writes: " << direct << " (partial: " << partial << ")");
    CHECK(direct > 0); // the mix really had both kinds
  }
}

TEST_CASE("direct: a partial direct write loses and reorders nothing") {
  troupe::test::stalled_peer peer;
  net_system local{patient};
  auto sink = local.node().route("sink", peer.endpoint);
  REQUIRE(sink);
  auto& link = link_of(*sink);
  // Each round: a message far larger than the socket buffers (a direct write of it can only be
  // partial), then small ones queued behind it while the peer does not read; then the peer
  // reads them all. Rounds go on until a partial direct write happened (the first round's
  // message goes before the handshake, later ones find the connection idle).
  constexpr int32_t smalls = 200;
  constexpr size_t big_size = 6 << 20;
  int round = 0;
  for (; round < 20 && (round < 2 || link.direct_writes().second == 0); ++round) {
    CAPTURE(round);
    auto big = pattern(big_size, round);
    REQUIRE(!local.sys.send("sink@" + peer.endpoint, big));
    for (int32_t i = 0; i < smalls; ++i)
      REQUIRE(!local.sys.send("sink@" + peer.endpoint, round * smalls + i));
    if (round == 0)
      REQUIRE(peer.greeted());
    int32_t seen = 0;
    bool intact = true;
    auto all = peer.read_messages(1 + smalls, [&](const auto& batch, const auto& msg) {
      REQUIRE(msg.payload_size() == 1);
      const auto& url = batch.type_urls(static_cast<int>(msg.payload(0).type()));
      if (seen == 0) {
        google::protobuf::StringValue text;
        intact = url.ends_with("StringValue") && text.ParseFromString(msg.payload(0).value()) &&
                 text.value() == big;
      } else {
        google::protobuf::Int32Value number;
        REQUIRE(url.ends_with("Int32Value"));
        REQUIRE(number.ParseFromString(msg.payload(0).value()));
        CHECK(number.value() == round * smalls + seen - 1);
      }
      ++seen;
    });
    REQUIRE(all);
    CHECK(intact); // the large message came first and whole
  }
  auto [direct, partial] = link.direct_writes();
  MESSAGE(round << " rounds; direct writes: " << direct << " (partial: " << partial << ")");
  CHECK(partial > 0);
}

TEST_CASE("direct: requests racing a lost connection fail at their senders with node_down") {
  auto peer = start_node("127.0.0.1:0");
  net_system local{slow_reconnect};
  auto seq = local.sys.lookup("sequence@" + peer.endpoint);
  REQUIRE(seq);
  probe p{local.sys};
  constexpr int32_t senders = 6;
  for (int32_t id = 0; id < senders; ++id)
    local.sys.spawn(requester, *seq, id, p.handle());
  // Every requester is in its loop of round trips (direct writes) when the peer dies.
  for (int32_t i = 0; i < senders; ++i) {
    auto [id, replies, err] = next<std::tuple<int32_t, int32_t, caf::error>>(p);
    REQUIRE(replies == -1);
  }
  peer.process->kill(SIGKILL);
  for (int32_t i = 0; i < senders; ++i) {
    auto [id, replies, err] = next<std::tuple<int32_t, int32_t, caf::error>>(p);
    CAPTURE(id);
    CHECK(replies > 20);
    CHECK(err == troupe::net::make_error(troupe::net::error_code::node_down));
  }
  CHECK(local.sys.send("sequence@" + peer.endpoint, int32_t{0}, int32_t{0}) ==
        troupe::net::make_error(troupe::net::error_code::node_down));
}
