// Ownership at shutdown: the node's broker and the link of a peer that connected here are freed
// whichever way the connection ends (the node stops, the peer closes, the peer falls silent, the
// handshake fails), also when a link's wake-up reaches the broker after it stopped.

#include <memory>
#include <string>

#include <caf/all.hpp>

#include "broker_messages.hpp"
#include "net/node_fixture.hpp"
#include "net/raw_client.hpp"
#include "node_access.hpp"
#include "remote_proxy.hpp"
#include "test_helpers.hpp"
#include "troupe/net/error.hpp"

using troupe::net::detail::node_access;
using troupe::net::detail::peer_link_ptr;
using troupe::test::net_system;
using troupe::test::next;
using troupe::test::probe;
using troupe::test::raw_client;

namespace {

/// Sends `to` the sender of every int32 it receives (a proxy when it came from a peer).
caf::behavior sink(caf::event_based_actor* self, caf::actor to) {
  return {
    [self, to](int32_t) { self->send(to, caf::actor_cast<caf::actor>(self->current_sender())); },
  };
}

/// The link of the peer whose actor `proxy` stands for.
peer_link_ptr link_of(const caf::actor& proxy) {
  auto* p =
    dynamic_cast<troupe::net::detail::remote_proxy*>(caf::actor_cast<caf::abstract_actor*>(proxy));
  REQUIRE(p != nullptr);
  return peer_link_ptr{&p->link()};
}

} // namespace

TEST_CASE("shutdown: an inbound link and the broker are freed however the connection ends") {
  std::string how;
  SUBCASE("the node stops while the peer is connected") {
    how = "stop";
  }
  SUBCASE("the peer closes first") {
    how = "peer closes";
  }
  SUBCASE("the peer falls silent (node_down)") {
    how = "silent";
  }
  SUBCASE("the handshake fails") {
    how = "handshake";
  }
  CAPTURE(how);
  caf::weak_actor_ptr broker;
  peer_link_ptr link;
  std::unique_ptr<raw_client> peer;
  {
    net_system local;
    broker = caf::actor_cast<caf::weak_actor_ptr>(node_access::state_of(local.node()).broker);
    auto endpoint = local.node().listen("127.0.0.1:0");
    REQUIRE(endpoint);
    probe p{local.sys};
    auto receiver = local.sys.engine().spawn(sink, p.handle());
    REQUIRE(!local.sys.register_name("sink", receiver));
    peer = std::make_unique<raw_client>(*endpoint);
    if (how == "handshake") {
      REQUIRE_FALSE(peer->handshake(2)); // another version: refused, no link is made
    } else {
      REQUIRE(peer->handshake());
      auto frame = raw_client::request_frame("sink", 1, 0);
      frame.mutable_batch()->add_sender_ids(1);
      frame.mutable_batch()->mutable_messages(0)->set_sender(1);
      peer->write_frame(frame);
      auto proxy = next<caf::actor>(p);
      link = link_of(proxy);
      p->monitor(proxy);
      if (how == "peer closes")
        peer.reset();
      if (how != "stop") {
        auto down = next<caf::down_msg>(p);
        CHECK(down.reason == troupe::net::make_error(troupe::net::error_code::node_down));
      }
    }
    caf::anon_send_exit(receiver, caf::exit_reason::kill);
  }
  peer.reset();
  if (link)
    CHECK(link->get_reference_count() == 1); // only this test holds it
  CHECK_FALSE(broker.lock());
}

TEST_CASE("shutdown: a link's wake-up that reaches the stopped broker keeps nothing alive") {
  caf::weak_actor_ptr broker;
  peer_link_ptr link;
  {
    net_system local;
    auto& state = node_access::state_of(local.node());
    auto handle = state.broker;
    broker = caf::actor_cast<caf::weak_actor_ptr>(handle);
    link = caf::make_counted<troupe::net::detail::peer_link>(
      local.sys.engine(), state.types->table(), handle, std::string{}, state.settings.window);
    local.node().stop(); // returns once the broker has terminated
    // What a sender thread does when it queued an item just before the stop: wake the broker.
    caf::anon_send(handle, troupe::net::detail::wake_atom::value, link);
  }
  CHECK(link->get_reference_count() == 1);
  CHECK_FALSE(broker.lock());
}

// CAF 0.17 never frees the handler of a socket registered and removed in one turn of its I/O
// loop. A stop that reaches the broker right behind a listen now waits for the loop to turn;
// LeakSanitizer (CI's sanitizer build) reports the listeners if it does not.
TEST_CASE("shutdown: a node that stops right after listening frees its listeners") {
  for (int round = 0; round < 20; ++round) {
    caf::weak_actor_ptr broker;
    {
      net_system local;
      broker = caf::actor_cast<caf::weak_actor_ptr>(node_access::state_of(local.node()).broker);
      REQUIRE(local.node().listen("127.0.0.1:0"));
      REQUIRE(local.node().listen(troupe::test::unix_endpoint()));
      local.node().stop();
    }
    CHECK_FALSE(broker.lock());
  }
}

TEST_CASE("shutdown: a stopped node refuses to listen with node_down") {
  net_system local;
  local.node().stop();
  auto endpoint = local.node().listen("127.0.0.1:0");
  REQUIRE(!endpoint);
  CHECK(endpoint.error() == troupe::net::make_error(troupe::net::error_code::node_down));
  CHECK(local.node().endpoints().empty());
}
