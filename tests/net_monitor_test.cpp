// Monitors across processes: withdrawing a monitor on a remote actor withdraws it on the peer
// (a Demonitor frame), so the peer holds no monitor for it and sends no Down when it exits.

#include <optional>
#include <string>

#include <google/protobuf/wrappers.pb.h>

#include <caf/all.hpp>

#include "net/node_fixture.hpp"
#include "net/raw_client.hpp"
#include "test_helpers.hpp"

using namespace std::chrono_literals;
using troupe::test::net_system;
using troupe::test::next;
using troupe::test::patience;
using troupe::test::probe;
using troupe::test::raw_client;
using troupe::test::start_node;

namespace {

/// How many monitors the test node at `endpoint` holds for its peers (its "stats" actor).
int64_t monitors_on(troupe::system& sys, const std::string& endpoint) {
  auto count = sys.request<int64_t>("stats@" + endpoint, patience, std::string{"monitors"});
  REQUIRE(count);
  return *count;
}

// -- a raw peer ------------------------------------------------------------------------------

using troupe::wire::Frame;

/// A Monitor frame, or a Demonitor frame if `withdraw`, for the actor `id` or `name`.
Frame monitor_frame(uint64_t id, std::string_view name, bool withdraw) {
  Frame f;
  auto fill = [&](auto* m) {
    m->set_actor_id(id);
    m->set_name(std::string{name});
  };
  if (withdraw)
    fill(f.mutable_demonitor());
  else
    fill(f.mutable_monitor());
  return f;
}

/// A Batch with one message to `name` whose elements are `values` (wrapper types), from the
/// raw peer's actor 1, as a request with `request_id` if it is not 0.
template <class... Ts>
Frame batch_frame(std::string_view name, uint64_t request_id, const Ts&... values) {
  Frame f;
  auto* b = f.mutable_batch();
  b->add_target_names(std::string{name});
  b->add_sender_ids(1);
  auto* m = b->add_messages();
  m->set_target_name(1);
  m->set_sender(1);
  m->set_request_id(request_id);
  auto add = [&](const google::protobuf::Message& v) {
    auto* p = m->add_payload();
    p->set_type(static_cast<uint32_t>(b->type_urls_size()));
    b->add_type_urls("type.googleapis.com/" + v.GetDescriptor()->full_name());
    p->set_value(v.SerializeAsString());
  };
  (add(values), ...);
  return f;
}

google::protobuf::StringValue text(std::string s) {
  google::protobuf::StringValue v;
  v.set_value(std::move(s));
  return v;
}

google::protobuf::Int32Value int32(int32_t x) {
  google::protobuf::Int32Value v;
  v.set_value(x);
  return v;
}

/// Reads frames until one satisfies `done`; counts the Down frames met on the way (and the
/// one that satisfies it, if it is one) for `name`. Fails the test on a timeout.
template <class Pred>
Frame read_until(raw_client& peer, Pred done, int& downs_for_name, std::string_view name) {
  for (;;) {
    auto f = peer.read_non_heartbeat(patience);
    REQUIRE_MESSAGE(f.has_value(), "the node sent nothing more");
    if (f->has_down() && f->down().name() == name)
      ++downs_for_name;
    if (done(*f))
      return *f;
  }
}

/// The answer of the test node's "stats" actor to "monitors", asked over the raw connection.
int64_t raw_monitors(raw_client& peer, uint64_t request_id) {
  peer.write_frame(batch_frame("stats", request_id, text("monitors")));
  int ignored = 0;
  auto reply = read_until(
    peer,
    [&](const Frame& f) {
      return f.has_batch() && f.batch().messages_size() == 1 &&
             f.batch().messages(0).reply_to() == request_id;
    },
    ignored, "");
  google::protobuf::Int64Value count;
  REQUIRE(count.ParseFromString(reply.batch().messages(0).payload(0).value()));
  return count.value();
}

} // namespace

TEST_CASE("monitor: a Demonitor withdraws the peer's monitor and no Down comes for it") {
  auto node = start_node("127.0.0.1:0");
  raw_client peer{node.endpoint};
  REQUIRE(peer.handshake());
  // The mortal's actor id, for a second monitor by id that stays (the witness).
  Frame lookup;
  lookup.mutable_lookup()->set_name("mortal");
  lookup.mutable_lookup()->set_request_id(7);
  peer.write_frame(lookup);
  int downs = 0;
  auto found = read_until(
    peer, [](const Frame& f) { return f.has_lookup_result(); }, downs, "mortal");
  auto mortal_id = found.lookup_result().actor_id();
  REQUIRE(mortal_id != 0);
  // The witness first: the node runs an exiting actor's monitors newest first (CAF's
  // attachables), so the withdrawn one would come before the witness's Down.
  peer.write_frame(monitor_frame(mortal_id, "", false));
  peer.write_frame(monitor_frame(0, "mortal", false));
  CHECK(raw_monitors(peer, 1) == 2);
  peer.write_frame(monitor_frame(0, "mortal", true));
  CHECK(raw_monitors(peer, 2) == 1);
  // The mortal sends 2 values to the raw peer's actor 1, then exits.
  peer.write_frame(batch_frame("mortal", 0, text("burst"), int32(2)));
  int values = 0;
  auto witness = read_until(
    peer,
    [&](const Frame& f) {
      if (f.has_batch())
        values += f.batch().messages_size();
      return f.has_down() && f.down().actor_id() == mortal_id;
    },
    downs, "mortal");
  CHECK(values == 2);
  CHECK(witness.down().reason().code() != 0);
  CHECK(downs == 0);
  CHECK(raw_monitors(peer, 3) == 0);
}

TEST_CASE("monitor: the peer's monitor is withdrawn when the last local monitor of a proxy is") {
  auto node = start_node("127.0.0.1:0");
  net_system local;
  auto mortal = local.sys.lookup("mortal@" + node.endpoint);
  REQUIRE(mortal);
  probe p{local.sys};
  probe q{local.sys};
  p->monitor(*mortal);
  q->monitor(*mortal);
  // One proxy, one Monitor frame: the peer holds one monitor for both.
  CHECK(monitors_on(local.sys, node.endpoint) == 1);
  p->demonitor(*mortal);
  CHECK(monitors_on(local.sys, node.endpoint) == 1);
  q->demonitor(*mortal);
  CHECK(monitors_on(local.sys, node.endpoint) == 0);
  // Monitoring again asks the peer again, and the Down comes when the actor exits.
  p->monitor(*mortal);
  CHECK(monitors_on(local.sys, node.endpoint) == 1);
  p->send(*mortal, std::string{"burst"}, int32_t{1});
  CHECK(next<int32_t>(p) == 0);
  auto down = next<caf::down_msg>(p);
  CHECK(down.source == mortal->address());
  CHECK(down.reason == caf::make_error(caf::sec::runtime_error));
  CHECK(monitors_on(local.sys, node.endpoint) == 0);
}
