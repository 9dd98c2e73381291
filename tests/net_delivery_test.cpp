// Receiving a one-element message of a built-in type: decoded straight into a mailbox element
// that holds the value (one allocation), read by hand as senders write it and by Protobuf's
// rules otherwise, and counted at its connection's gate until it is consumed.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor.hpp>
#include <caf/message.hpp>
#include <google/protobuf/wrappers.pb.h>

#include <troupe/net/error.hpp>
#include <troupe/net/type_registry.hpp>

#include "delivery_pool.hpp"
#include "inbox_gate.hpp"
#include "type_table.hpp"

namespace {

namespace pb = google::protobuf;
using namespace std::string_literals;
using troupe::net::type_registry;
using troupe::net::detail::counted_value;
using troupe::net::detail::delivery_header;
using troupe::net::detail::delivery_pool;
using troupe::net::detail::inbox_gate;

constexpr std::string_view prefix = "type.googleapis.com/";

caf::intrusive_ptr<inbox_gate> make_gate() {
  return caf::make_counted<inbox_gate>(caf::actor{}, caf::io::connection_handle{}, 100, 10);
}

/// Field 1 with wire type `wt`, then `rest`.
std::string field1(int wt, std::string rest) {
  return std::string(1, static_cast<char>((1 << 3) | wt)) + rest;
}

/// Byte strings a sender or a hostile peer may put in a wrapper: canonical ones from Protobuf,
/// and others only Protobuf's rules decide (repeats, unknown fields, wrong wire types, cuts).
std::vector<std::string> wrapper_inputs() {
  // `s` literals: the bytes may hold zeros.
  std::vector<std::string> result = {
    ""s,                                            // the default value
    field1(0, "\x01"s),                             // 1
    field1(0, "\x96\x01"s),                         // 150
    field1(0, std::string(9, '\xff') + "\x01"s),    // -1 as 10 bytes
    field1(0, std::string(9, '\xff') + "\x7f"s),    // bits past 64
    field1(0, std::string(10, '\xff') + "\x01"s),   // 11 bytes
    field1(0, "\x80"s),                             // cut short
    field1(0, "\x05"s) + field1(0, "\x07"s),        // repeated: the last wins
    field1(0, "\x05"s) + "\x10\x01"s,               // an unknown field 2 after it
    "\x10\x01"s,                                    // only an unknown field
    field1(1, "\x00\x00\x00\x00\x00\x00\xf0\x3f"s), // fixed64 1.0
    field1(5, "\x00\x00\x80\x3f"s),                 // fixed32 1.0f
    field1(1, "\x00\x00\xf0\x3f"s),                 // fixed64 cut short
    field1(2, "\x03"s + "abc"),                     // length-delimited "abc"
    field1(2, "\x05"s + "abc"),                     // length past the end
    field1(2, "\x01x"s) + field1(2, "\x01y"s),      // repeated string
    "\x0c"s,                                        // wire type 4 (end group)
  };
  pb::Int64Value big;
  big.set_value(std::numeric_limits<int64_t>::min());
  result.push_back(big.SerializeAsString());
  pb::DoubleValue d;
  d.set_value(-0.0);
  result.push_back(d.SerializeAsString());
  return result;
}

/// What Protobuf's own parser makes of `bytes` as `Wrapper`: parsed (and its value) or not.
template <class Wrapper> bool protobuf_reads(const std::string& bytes, Wrapper& out) {
  return out.ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

/// Delivers `bytes` as a one-element message of type `url`; null if refused.
caf::mailbox_element_ptr deliver(const type_registry& types, std::string_view url,
                                 const std::string& bytes, caf::error* why = nullptr) {
  auto* entry = types.table().find(url);
  REQUIRE(entry != nullptr);
  REQUIRE((entry->deliver != nullptr));
  delivery_header header{nullptr, caf::make_message_id(), make_gate()};
  caf::mailbox_element_ptr out;
  auto err = entry->deliver(*entry, bytes, header, out);
  if (why != nullptr)
    *why = err;
  CHECK((err ? out == nullptr : out != nullptr));
  return out;
}

template <class T, class Wrapper> void check_like_protobuf() {
  type_registry types;
  auto url = std::string{prefix} + Wrapper::descriptor()->full_name();
  for (const auto& bytes : wrapper_inputs()) {
    CAPTURE(url);
    CAPTURE(bytes);
    Wrapper expected;
    bool parses = protobuf_reads(bytes, expected);
    caf::error why;
    auto element = deliver(types, url, bytes, &why);
    REQUIRE(parses == (element != nullptr));
    if (!parses) {
      CHECK(why.code() == static_cast<uint8_t>(troupe::net::error_code::malformed_payload));
      continue;
    }
    REQUIRE(element->content().template match_elements<T>());
    auto got = element->content().template get_as<T>(0);
    auto want = static_cast<T>(expected.value());
    CHECK(std::memcmp(&got, &want, sizeof(T)) == 0); // bit for bit: -0.0 stays -0.0
  }
}

} // namespace

TEST_CASE("delivery: a scalar is read as Protobuf reads its wrapper, whatever the bytes") {
  check_like_protobuf<int32_t, pb::Int32Value>();
  check_like_protobuf<int64_t, pb::Int64Value>();
  check_like_protobuf<uint32_t, pb::UInt32Value>();
  check_like_protobuf<uint64_t, pb::UInt64Value>();
  check_like_protobuf<double, pb::DoubleValue>();
  check_like_protobuf<float, pb::FloatValue>();
  check_like_protobuf<bool, pb::BoolValue>();
}

TEST_CASE("delivery: a string is read as Protobuf reads a BytesValue, whatever the bytes") {
  type_registry types;
  auto url = std::string{prefix} + "google.protobuf.StringValue";
  auto inputs = wrapper_inputs();
  inputs.push_back(field1(2, "\x02\xff\xfe")); // not UTF-8: C++ nodes take any bytes
  for (const auto& bytes : inputs) {
    CAPTURE(bytes);
    pb::BytesValue expected;
    bool parses = protobuf_reads(bytes, expected);
    auto element = deliver(types, url, bytes);
    REQUIRE(parses == (element != nullptr));
    if (parses) {
      REQUIRE(element->content().match_elements<std::string>());
      CHECK(element->content().get_as<std::string>(0) == expected.value());
    }
  }
}

TEST_CASE("delivery: a delivered value counts at its gate until the element is destroyed") {
  auto gate = make_gate();
  type_registry types;
  auto url = std::string{prefix} + "google.protobuf.Int32Value";
  auto* entry = types.table().find(url);
  REQUIRE(entry != nullptr);
  delivery_header header{nullptr, caf::make_message_id(7), gate};
  caf::mailbox_element_ptr element;
  REQUIRE(!entry->deliver(*entry, field1(0, "\x2a"), header, element));
  CHECK(gate->waiting() == 1);
  CHECK(element->mid == caf::make_message_id(7));
  auto copy = element->copy_content_to_message();
  CHECK(copy.match_elements<int32_t>());
  CHECK(copy.get_as<int32_t>(0) == 42);
  auto moved = element->move_content_to_message();
  CHECK(moved.get_as<int32_t>(0) == 42);
  element.reset();
  CHECK(gate->waiting() == 0);
  CHECK(gate->peak() == 1);
}

TEST_CASE("delivery: registered messages and errors take the general path") {
  type_registry types;
  auto* error = types.table().find(std::string{prefix} + "troupe.wire.ErrorValue");
  REQUIRE(error != nullptr);
  CHECK((error->deliver == nullptr));
}

TEST_CASE("delivery: a consumed element's block is reused for the next delivery") {
  auto gate = make_gate();
  auto make = [&gate](int32_t x) {
    delivery_header header{nullptr, caf::make_message_id(), gate};
    return counted_value<int32_t>::make(std::move(header), std::move(x));
  };
  auto first = make(1);
  auto* block = static_cast<void*>(first.get());
  auto second = make(2);
  CHECK(static_cast<void*>(second.get()) != block);
  first.reset(); // CAF disposes of it: the block goes back to the pool
  CHECK(gate->waiting() == 1);
  auto third = make(3);
  CHECK(static_cast<void*>(third.get()) == block);
  CHECK(third->content().get_as<int32_t>(0) == 3);
  CHECK(second->content().get_as<int32_t>(0) == 2);
}

TEST_CASE("delivery: blocks given back from many threads all come back, a burst is trimmed") {
  delivery_pool pool;
  constexpr size_t n = 3 * delivery_pool::max_kept;
  std::vector<void*> blocks;
  for (size_t i = 0; i < n; ++i)
    blocks.push_back(pool.take());
  CHECK(std::set<void*>(blocks.begin(), blocks.end()).size() == n);
  // Four threads give them back at once (as workers consume deliveries).
  std::vector<std::thread> givers;
  for (size_t t = 0; t < 4; ++t)
    givers.emplace_back([&pool, &blocks, t] {
      for (size_t i = t; i < blocks.size(); i += 4)
        pool.give(blocks[i]);
    });
  for (auto& t : givers)
    t.join();
  // The next takes reuse them, keeping max_kept of the burst and freeing the rest.
  std::set<void*> given(blocks.begin(), blocks.end());
  std::vector<void*> again;
  for (size_t i = 0; i < delivery_pool::max_kept; ++i)
    again.push_back(pool.take());
  for (auto* b : again)
    CHECK(given.count(b) == 1);
  auto fresh = pool.take(); // the surplus was freed: a new block
  again.push_back(fresh);
  for (auto* b : again)
    pool.give(b);
  // The pool's destructor frees what it holds (LeakSanitizer checks it).
}
