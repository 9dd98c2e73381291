// A bounded buffer served to a remote client that speaks its Protobuf protocol
// (proto/troupe/actors/bounded_buffer.proto): two nodes in this process, over TCP on 127.0.0.1.
// The client node's probe is the remote client; the buffer's local clients are unchanged.

#include <string>

#include <caf/all.hpp>
#include <google/protobuf/any.pb.h>
#include <google/protobuf/wrappers.pb.h>

#include "actors_remote/remote_fixture.hpp"
#include "actors_test_helpers.hpp"
#include "test_helpers.hpp"
#include "troupe/actors/bounded_buffer.hpp"
#include "troupe/actors/bounded_buffer.pb.h"

using namespace std::chrono_literals;
namespace ta = troupe::actors;
using google::protobuf::Any;
using google::protobuf::Int64Value;
using troupe::test::ask_proto;
using troupe::test::error_code_of;
using troupe::test::holds;
using troupe::test::patience;
using troupe::test::pattern_node;
using troupe::test::probe;

namespace {

ta::Put put_of(int64_t x, int64_t wait_ns = 0) {
  Int64Value value;
  value.set_value(x);
  ta::Put put;
  put.mutable_item()->PackFrom(value);
  put.set_wait_ns(wait_ns);
  return put;
}

/// The Int64Value in an Item reply, or -1.
int64_t item_value(const caf::expected<caf::message>& reply) {
  Int64Value value;
  if (!holds<ta::Item>(reply) || !reply->get_as<ta::Item>(0).item().UnpackTo(&value))
    return -1;
  return value.value();
}

/// A buffer registered as "buffer" on a listening node, and a client node that reaches it.
struct buffer_setup {
  explicit buffer_setup(size_t capacity = 4)
      : buffer(*ta::bounded_buffer::spawn(server.sys, capacity)) {
    REQUIRE_FALSE(server.sys.register_name("buffer", buffer.handle()));
    remote = client.remote(server, "buffer");
  }

  pattern_node server{true};
  pattern_node client;
  ta::bounded_buffer buffer;
  caf::actor remote;
};

/// A C++ type that has no Protobuf form.
struct local_only {
  int32_t x = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, local_only& x) {
  return f(caf::meta::type_name("local_only"), x.x);
}

} // namespace

TEST_CASE("remote buffer: a Protobuf client puts and takes Any items in FIFO order") {
  buffer_setup s;
  probe p{s.client.sys};
  for (int64_t i = 1; i <= 3; ++i)
    CHECK(holds<ta::PutDone>(ask_proto(p, s.remote, put_of(i))));
  for (int64_t i = 1; i <= 3; ++i) {
    CHECK(item_value(ask_proto(p, s.remote, ta::Take{})) == i);
    CHECK(holds<ta::Done>(ask_proto(p, s.remote, ta::TaskDone{})));
  }
  CHECK(holds<ta::Done>(ask_proto(p, s.remote, ta::Join{})));
  auto stats = ask_proto(p, s.remote, ta::GetStats{});
  REQUIRE(holds<ta::BufferStats>(stats));
  auto& st = stats->get_as<ta::BufferStats>(0);
  CHECK(st.capacity() == 4);
  CHECK(st.puts() == 3);
  CHECK(st.takes() == 3);
  CHECK(st.unfinished() == 0);
  CHECK(st.size() == 0);
  CHECK_FALSE(st.closed());
}

TEST_CASE("remote buffer: each error reply is a troupe.actors.Error with the documented code") {
  buffer_setup s{1};
  probe p{s.client.sys};
  // TaskDone with nothing taken.
  CHECK(error_code_of(ask_proto(p, s.remote, ta::TaskDone{})) == ta::NOTHING_TAKEN);
  // A take that waits longer than its limit; a negative limit.
  CHECK(error_code_of(ask_proto(p, s.remote, ta::Take{[] {
                                  ta::Take t;
                                  t.set_wait_ns(std::chrono::nanoseconds{20ms}.count());
                                  return t;
                                }()})) == ta::TIMEOUT);
  CHECK(error_code_of(ask_proto(p, s.remote, put_of(1, -5))) == ta::INVALID_ARGUMENT);
  // A put that waits for room longer than its limit (capacity 1, one item in).
  CHECK(holds<ta::PutDone>(ask_proto(p, s.remote, put_of(1))));
  CHECK(error_code_of(ask_proto(p, s.remote, put_of(2, std::chrono::nanoseconds{20ms}.count()))) ==
        ta::TIMEOUT);
  // Close: later puts get CLOSED; takes drain, then get END_OF_STREAM.
  CHECK(holds<ta::Done>(ask_proto(p, s.remote, ta::Close{})));
  auto closed = ask_proto(p, s.remote, put_of(3));
  CHECK(error_code_of(closed) == ta::CLOSED);
  CHECK(closed->get_as<ta::Error>(0).text() == "put on a closed bounded_buffer");
  CHECK(item_value(ask_proto(p, s.remote, ta::Take{})) == 1);
  CHECK(holds<ta::Done>(ask_proto(p, s.remote, ta::TaskDone{})));
  CHECK(error_code_of(ask_proto(p, s.remote, ta::Take{})) == ta::END_OF_STREAM);
  auto stats = ask_proto(p, s.remote, ta::GetStats{});
  REQUIRE(holds<ta::BufferStats>(stats));
  CHECK(stats->get_as<ta::BufferStats>(0).puts() == 1);
  CHECK(stats->get_as<ta::BufferStats>(0).closed());
}

TEST_CASE("remote buffer: local clients keep their C++ values beside remote ones") {
  buffer_setup s;
  probe local{s.server.sys};
  probe p{s.client.sys};
  auto& buf = s.buffer.handle();
  // A local put of a value that has no Protobuf form: no serialization on the way.
  CHECK_FALSE(troupe::test::call(local, buf, ta::bounded_buffer::put_atom::value, local_only{41}));
  auto taken = troupe::test::call_for<local_only>(local, buf, ta::bounded_buffer::take_atom::value);
  REQUIRE(taken);
  CHECK(taken->x == 41);
  // An item a remote client put is the Any it sent, for a local taker too.
  CHECK(holds<ta::PutDone>(ask_proto(p, s.remote, put_of(7))));
  auto any = troupe::test::call_for<Any>(local, buf, ta::bounded_buffer::take_atom::value);
  REQUIRE(any);
  Int64Value value;
  REQUIRE(any->UnpackTo(&value));
  CHECK(value.value() == 7);
}

TEST_CASE("remote buffer: a local item reaches a remote taker packed in Any, or comes back") {
  buffer_setup s;
  probe local{s.server.sys};
  probe p{s.client.sys};
  auto& buf = s.buffer.handle();
  // A scalar and a Protobuf message, put locally as C++ values.
  CHECK_FALSE(troupe::test::call(local, buf, ta::bounded_buffer::put_atom::value, int32_t{5}));
  ta::BufferStats message;
  message.set_puts(99);
  CHECK_FALSE(troupe::test::call(local, buf, ta::bounded_buffer::put_atom::value, message));
  auto first = ask_proto(p, s.remote, ta::Take{});
  REQUIRE(holds<ta::Item>(first));
  google::protobuf::Int32Value scalar;
  REQUIRE(first->get_as<ta::Item>(0).item().UnpackTo(&scalar));
  CHECK(scalar.value() == 5);
  auto second = ask_proto(p, s.remote, ta::Take{});
  REQUIRE(holds<ta::Item>(second));
  ta::BufferStats unpacked;
  REQUIRE(second->get_as<ta::Item>(0).item().UnpackTo(&unpacked));
  CHECK(unpacked.puts() == 99);
  CHECK(holds<ta::Done>(ask_proto(p, s.remote, ta::TaskDone{})));
  CHECK(holds<ta::Done>(ask_proto(p, s.remote, ta::TaskDone{})));
  // An item with no Protobuf form cannot cross: the remote taker gets INVALID_ARGUMENT, and the
  // item goes back to the head of the buffer for the next taker, which here is local.
  CHECK_FALSE(troupe::test::call(local, buf, ta::bounded_buffer::put_atom::value, local_only{8}));
  CHECK(error_code_of(ask_proto(p, s.remote, ta::Take{})) == ta::INVALID_ARGUMENT);
  auto back = troupe::test::call_for<local_only>(local, buf, ta::bounded_buffer::take_atom::value);
  REQUIRE(back);
  CHECK(back->x == 8);
  auto stats =
    troupe::test::call_for<ta::buffer_stats>(local, buf, ta::bounded_buffer::stats_atom::value);
  REQUIRE(stats);
  CHECK(stats->redelivered == 1);
  CHECK(stats->unfinished == 1);
}

TEST_CASE("remote buffer: the items of a remote taker come back when its actor exits") {
  buffer_setup s;
  probe p{s.client.sys};
  for (int64_t i = 1; i <= 2; ++i)
    CHECK(holds<ta::PutDone>(ask_proto(p, s.remote, put_of(i))));
  // A client actor on the other node takes both items and exits without TaskDone.
  auto remote = s.remote;
  auto taker = s.client.sys.engine().spawn([remote, to = p.handle()](caf::event_based_actor* self) {
    self->request(remote, 5s, ta::Take{}).then([self, remote, to](ta::Item&) {
      self->request(remote, 5s, ta::Take{}).then([self, to](ta::Item&) {
        self->send(to, std::string{"took two"});
        self->quit();
      });
    });
  });
  CHECK(troupe::test::next<std::string>(p) == "took two");
  // The buffer learns of the exit through the monitor of the remote actor: both items are back.
  CHECK(item_value(ask_proto(p, s.remote, ta::Take{})) == 1);
  CHECK(item_value(ask_proto(p, s.remote, ta::Take{})) == 2);
  auto stats = ask_proto(p, s.remote, ta::GetStats{});
  REQUIRE(holds<ta::BufferStats>(stats));
  CHECK(stats->get_as<ta::BufferStats>(0).redelivered() == 2);
}
