// Lost nodes across real processes: a killed (SIGKILL) or frozen (SIGSTOP) peer turns monitors
// into down messages and pending requests into node_down errors within the heartbeat bound;
// sends to a node known down fail at the sender; a restarted peer is a new incarnation.

#include <csignal>
#include <string>

#include <caf/all.hpp>

#include "net/node_fixture.hpp"
#include "test_helpers.hpp"
#include "troupe/co_actor.hpp"
#include "troupe/net/error.hpp"

using namespace std::chrono_literals;
using troupe::test::error_of;
using troupe::test::net_system;
using troupe::test::next;
using troupe::test::patience;
using troupe::test::probe;
using troupe::test::slow_reconnect;
using troupe::test::start_node;

namespace {

caf::error node_down() {
  return troupe::net::make_error(troupe::net::error_code::node_down);
}

/// Reconnects quickly, for the restart test.
void quick_reconnect(troupe::config& cfg) {
  troupe::net::set_option(cfg, "reconnect-delay", caf::timespan{20ms});
}

/// Monitors `echo` and leaves a request pending on `silent`, then sends `sig` to the peer and
/// checks that both fail with node_down.
void lose_peer(int sig) {
  auto peer = start_node("127.0.0.1:0");
  net_system local{slow_reconnect};
  auto echo = local.sys.lookup("echo@" + peer.endpoint);
  auto silent = local.sys.lookup("silent@" + peer.endpoint);
  REQUIRE(echo);
  REQUIRE(silent);
  probe p{local.sys};
  p->monitor(*echo);
  // A round trip first, so the monitor is in place on the peer before it goes away.
  REQUIRE(troupe::test::ask(p, *echo, 1) == 1);
  auto pending = p->request(*silent, 60s, int32_t{1});
  peer.process->kill(sig);
  caf::error request_error;
  pending.receive([](int32_t) { FAIL("the silent actor answered"); },
                  [&](caf::error& err) { request_error = std::move(err); });
  CHECK(request_error == node_down());
  auto down = next<caf::down_msg>(p);
  CHECK(down.source == echo->address());
  CHECK(down.reason == node_down());

  // Known down: sends fail at the sender, monitors answer at once, proxies stay dead.
  CHECK(local.sys.send("echo@" + peer.endpoint, int32_t{1}) == node_down());
  local.sys.spawn(
    [](troupe::co_actor& self, std::string address, caf::actor report) -> troupe::task {
      self.send(report, co_await self.send_paced(address, int32_t{1}));
    },
    "echo@" + peer.endpoint, p.handle());
  CHECK(next<caf::error>(p) == node_down()); // a coroutine's paced send fails the same way
  auto again = local.sys.request<int32_t>("echo@" + peer.endpoint, patience, int32_t{1});
  REQUIRE(!again);
  CHECK(again.error() == node_down());
  p->monitor(*silent);
  CHECK(next<caf::down_msg>(p).reason == node_down());
  CHECK(error_of(troupe::test::ask(p, *echo, 2)) == node_down());
}

} // namespace

TEST_CASE("failure: a peer killed with SIGKILL fails monitors and pending requests") {
  lose_peer(SIGKILL);
}

TEST_CASE("failure: a peer frozen with SIGSTOP is lost once its silence exceeds the bound") {
  lose_peer(SIGSTOP);
}

TEST_CASE("failure: a restarted peer is reached again as a new incarnation") {
  auto endpoint = troupe::test::unix_endpoint();
  auto first = start_node(endpoint);
  net_system local{quick_reconnect};
  auto mortal = local.sys.lookup("mortal@" + first.endpoint);
  REQUIRE(mortal);
  probe p{local.sys};
  p->monitor(*mortal);
  REQUIRE(local.sys.request<int32_t>("echo@" + endpoint, patience, int32_t{1}));
  first.process->kill(SIGKILL);
  CHECK(next<caf::down_msg>(p).reason == node_down());
  auto second = start_node(endpoint);
  CHECK(second.incarnation != first.incarnation);
  // Requests fail at once while the endpoint is in its short (20 ms) reconnect backoff;
  // after it, the new incarnation answers.
  caf::expected<int32_t> reply = node_down();
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (!reply && std::chrono::steady_clock::now() < deadline) {
    reply = local.sys.request<int32_t>("echo@" + endpoint, patience, int32_t{2});
    if (!reply)
      REQUIRE(reply.error() == node_down());
  }
  REQUIRE(reply);
  CHECK(*reply == 2);
  // Nothing carried over: the old incarnation's actor stays dead.
  CHECK(error_of(troupe::test::ask(p, *mortal, 3)) == node_down());
}

TEST_CASE("failure: an endpoint nobody listens on fails with connect_failed, then is known down") {
  net_system local{slow_reconnect};
  // A port that was just free: bind one, note it, close it.
  std::string endpoint;
  {
    net_system probe_sys;
    auto bound = probe_sys.node().listen("127.0.0.1:0");
    REQUIRE(bound);
    endpoint = *bound;
  }
  auto reply = local.sys.request<int32_t>("echo@" + endpoint, patience, int32_t{1});
  REQUIRE(!reply);
  CHECK(reply.error() == troupe::net::make_error(troupe::net::error_code::connect_failed));
  // Within the reconnect backoff the endpoint is known down: sends fail at once.
  CHECK(local.sys.send("echo@" + endpoint, int32_t{2}) == node_down());
}
