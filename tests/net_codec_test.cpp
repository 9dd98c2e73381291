// The payload codec: what crosses between nodes, and how it fails when it cannot.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/exit_reason.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>
#include <google/protobuf/any.pb.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/wrappers.pb.h>

#include <troupe/error.hpp>
#include <troupe/net/error.hpp>
#include <troupe/net/type_registry.hpp>
#include <troupe/protobuf.hpp>

#include "error_value.hpp"
#include "payload_codec.hpp"
#include "troupe/test/codec_messages.pb.h"
#include "troupe/test/messages.pb.h"
#include "troupe/wire.pb.h"
#include "type_table.hpp"

namespace {

namespace pb = google::protobuf;
using troupe::net::error_code;
using troupe::net::type_registry;
using troupe::net::detail::payload_view;

/// Encodes `msg`, requiring success, and returns copies of its payloads.
struct owned_payload {
  std::string type_url;
  std::string value;
};

std::vector<owned_payload> encode_ok(const type_registry& types, const caf::message& msg) {
  troupe::net::detail::encoded_message out;
  auto err = encode(types.table(), msg, out);
  REQUIRE_MESSAGE(!err, caf::to_string(err));
  std::vector<owned_payload> result;
  for (auto& x : out.payloads())
    result.push_back({std::string{x.type_url}, std::string{x.value}});
  return result;
}

caf::expected<caf::message> decode_owned(const type_registry& types,
                                         const std::vector<owned_payload>& xs) {
  std::vector<payload_view> views;
  for (auto& x : xs)
    views.push_back({x.type_url, x.value});
  return decode(types.table(), views);
}

caf::message round_trip(const type_registry& types, const caf::message& msg) {
  auto back = decode_owned(types, encode_ok(types, msg));
  REQUIRE_MESSAGE(back, caf::to_string(back.error()));
  return std::move(*back);
}

bool is_net_error(const caf::error& err, error_code code) {
  return err.category() == troupe::net::net_error_category &&
         err.code() == static_cast<uint8_t>(code);
}

std::string context_of(const caf::error& err) {
  if (!err) // caf::none has no context at all
    return {};
  auto& ctx = err.context();
  if (ctx.empty())
    return {};
  return ctx.match_elements<std::string>() ? ctx.get_as<std::string>(0) : caf::to_string(ctx);
}

template <class T>
void check_scalar(const type_registry& types, T value, std::string_view wrapper) {
  CAPTURE(wrapper);
  auto payloads = encode_ok(types, caf::make_message(value));
  REQUIRE(payloads.size() == 1);
  CHECK(payloads[0].type_url == "type.googleapis.com/google.protobuf." + std::string{wrapper});
  auto back = decode_owned(types, payloads);
  REQUIRE(back);
  REQUIRE(back->template match_elements<T>());
  CHECK(back->template get_as<T>(0) == value);
}

troupe::test::Ping make_ping(std::string text, uint64_t seq) {
  troupe::test::Ping ping;
  ping.set_text(std::move(text));
  ping.set_seq(seq);
  return ping;
}

} // namespace

TEST_CASE("codec: each scalar crosses as its google.protobuf wrapper type and back") {
  type_registry types;
  check_scalar<int32_t>(types, -7, "Int32Value");
  check_scalar<int32_t>(types, std::numeric_limits<int32_t>::min(), "Int32Value");
  check_scalar<int64_t>(types, std::numeric_limits<int64_t>::max(), "Int64Value");
  check_scalar<uint32_t>(types, 4'000'000'000u, "UInt32Value");
  check_scalar<uint64_t>(types, std::numeric_limits<uint64_t>::max(), "UInt64Value");
  check_scalar<double>(types, -2.5e300, "DoubleValue");
  check_scalar<float>(types, 1.5f, "FloatValue");
  check_scalar<bool>(types, true, "BoolValue");
  check_scalar<bool>(types, false, "BoolValue");
  check_scalar<int32_t>(types, 0, "Int32Value");
  check_scalar<std::string>(types, "hello", "StringValue");
  check_scalar<std::string>(types, "", "StringValue");
  check_scalar<std::string>(types, std::string(300, 'x') + std::string{"\0\xff", 2}, "StringValue");
}

template <class Wrapper, class T>
void check_bytes_like_protobuf(const type_registry& types, T value) {
  CAPTURE(value);
  Wrapper wrapper;
  wrapper.set_value(value);
  auto payloads = encode_ok(types, caf::make_message(value));
  REQUIRE(payloads.size() == 1);
  CHECK(payloads[0].value == wrapper.SerializeAsString());
}

TEST_CASE("codec: scalars are encoded byte for byte as Protobuf encodes their wrappers") {
  type_registry types;
  for (int32_t x : {0, 1, -1, 127, 128, -300, std::numeric_limits<int32_t>::min(),
                    std::numeric_limits<int32_t>::max()})
    check_bytes_like_protobuf<pb::Int32Value>(types, x);
  for (int64_t x : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()})
    check_bytes_like_protobuf<pb::Int64Value>(types, x);
  for (uint32_t x : {0u, 1u, 300u, std::numeric_limits<uint32_t>::max()})
    check_bytes_like_protobuf<pb::UInt32Value>(types, x);
  for (uint64_t x : {uint64_t{0}, uint64_t{1} << 63, std::numeric_limits<uint64_t>::max()})
    check_bytes_like_protobuf<pb::UInt64Value>(types, x);
  for (double x : {0.0, -0.0, 1.5, -2.5e300, std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::denorm_min()})
    check_bytes_like_protobuf<pb::DoubleValue>(types, x);
  for (float x : {0.0f, -0.0f, 3.25f, std::numeric_limits<float>::lowest()})
    check_bytes_like_protobuf<pb::FloatValue>(types, x);
  check_bytes_like_protobuf<pb::BoolValue>(types, true);
  check_bytes_like_protobuf<pb::BoolValue>(types, false);
  for (std::string x : {std::string{}, std::string{"a"}, std::string(200, 'z')})
    check_bytes_like_protobuf<pb::StringValue>(types, x);
  // NaN has no equal, so it is checked by its round trip.
  auto back = round_trip(types, caf::make_message(std::numeric_limits<double>::quiet_NaN()));
  CHECK(std::isnan(back.get_as<double>(0)));
}

TEST_CASE("codec: a registered Protobuf message crosses by its concrete C++ type") {
  type_registry types;
  REQUIRE(!types.add<troupe::test::Ping>());
  auto payloads = encode_ok(types, caf::make_message(make_ping("hi", 42)));
  REQUIRE(payloads.size() == 1);
  CHECK(payloads[0].type_url == "type.googleapis.com/troupe.test.Ping");
  auto back = decode_owned(types, payloads);
  REQUIRE(back);
  REQUIRE(back->match_elements<troupe::test::Ping>());
  CHECK(back->get_as<troupe::test::Ping>(0).text() == "hi");
  CHECK(back->get_as<troupe::test::Ping>(0).seq() == 42);
  // An ordinary CAF handler for the C++ type matches the decoded message.
  std::string seen;
  caf::behavior handler{[&](const troupe::test::Ping& x) { seen = x.text(); },
                        [&](const troupe::test::Pong&) { seen = "wrong type"; }};
  CHECK(handler(*back));
  CHECK(seen == "hi");
}

TEST_CASE("codec: a decoded message is copied on write and prints its fields") {
  type_registry types;
  REQUIRE(!troupe::net::register_type<troupe::test::Ping>(types));
  auto original = round_trip(types, caf::make_message(make_ping("first", 1)));
  auto copy = original;
  copy.get_mutable_as<troupe::test::Ping>(0).set_text("changed");
  CHECK(original.get_as<troupe::test::Ping>(0).text() == "first");
  CHECK(copy.get_as<troupe::test::Ping>(0).text() == "changed");
  CHECK(caf::to_string(original).find("first") != std::string::npos);
}

TEST_CASE("codec: one line adds every message type of a .proto file, nested ones too") {
  type_registry types;
  REQUIRE(!types.add_file(*troupe::test::Put::descriptor()->file()));
  CHECK(types.knows("type.googleapis.com/troupe.test.Put"));
  CHECK(types.knows("type.googleapis.com/troupe.test.Put.Receipt"));
  CHECK(types.knows("type.googleapis.com/troupe.test.Get"));
  CHECK(types.knows("type.googleapis.com/troupe.test.Snapshot"));
  CHECK_FALSE(types.knows("type.googleapis.com/troupe.test.Snapshot.EntriesEntry"));
  CHECK_FALSE(types.knows("type.googleapis.com/troupe.test.Ping")); // another file
  troupe::test::Snapshot snapshot;
  (*snapshot.mutable_entries())["a"] = 1;
  (*snapshot.mutable_entries())["b"] = -2;
  troupe::test::Put::Receipt receipt;
  receipt.set_version(9);
  auto back = round_trip(types, caf::make_message(snapshot, receipt));
  REQUIRE(back.match_elements<troupe::test::Snapshot, troupe::test::Put::Receipt>());
  CHECK(back.get_as<troupe::test::Snapshot>(0).entries().at("b") == -2);
  CHECK(back.get_as<troupe::test::Put::Receipt>(1).version() == 9);
  // Adding again changes nothing.
  CHECK(!types.add_file(*troupe::test::Put::descriptor()->file()));
  CHECK(!types.add<troupe::test::Put>());
}

TEST_CASE("codec: a message of several elements crosses with its elements in order") {
  type_registry types;
  REQUIRE(!types.add<troupe::test::Ping>());
  auto msg = caf::make_message(int32_t{5}, std::string{"two"}, make_ping("three", 3), true,
                               make_ping("five", 5));
  auto payloads = encode_ok(types, msg);
  REQUIRE(payloads.size() == 5);
  CHECK(payloads[1].type_url == "type.googleapis.com/google.protobuf.StringValue");
  CHECK(payloads[4].type_url == "type.googleapis.com/troupe.test.Ping");
  auto back = decode_owned(types, payloads);
  REQUIRE(back);
  REQUIRE(
    (back->match_elements<int32_t, std::string, troupe::test::Ping, bool, troupe::test::Ping>()));
  CHECK(back->get_as<int32_t>(0) == 5);
  CHECK(back->get_as<std::string>(1) == "two");
  CHECK(back->get_as<troupe::test::Ping>(2).text() == "three");
  CHECK(back->get_as<bool>(3));
  CHECK(back->get_as<troupe::test::Ping>(4).seq() == 5);
}

TEST_CASE("codec: an encoded message is reused without keeping the previous payloads") {
  type_registry types;
  troupe::net::detail::encoded_message out;
  REQUIRE(!encode(types.table(), caf::make_message(int32_t{1}, std::string(100, 'a')), out));
  REQUIRE(!encode(types.table(), caf::make_message(std::string{"b"}), out));
  REQUIRE(out.size() == 1);
  CHECK(out.payloads()[0].type_url == "type.googleapis.com/google.protobuf.StringValue");
  CHECK(out.payloads()[0].value == std::string_view{"\x0a\x01"
                                                    "b"});
}

TEST_CASE("codec: error values cross with category, code and context text") {
  type_registry types;
  auto check_error = [&](const caf::error& err, std::string_view text) {
    CAPTURE(caf::to_string(err));
    auto payloads = encode_ok(types, caf::make_message(err));
    REQUIRE(payloads.size() == 1);
    CHECK(payloads[0].type_url == "type.googleapis.com/troupe.wire.ErrorValue");
    auto back = decode_owned(types, payloads);
    REQUIRE(back);
    REQUIRE(back->match_elements<caf::error>());
    auto& got = back->get_as<caf::error>(0);
    CHECK(got == err); // same category and code
    CHECK(context_of(got) == text);
  };
  check_error(caf::make_error(caf::sec::request_timeout), "");
  check_error(caf::exit_reason::user_shutdown, "");
  check_error(troupe::make_error(troupe::error_code::unknown_name, "counter"), "counter");
  check_error(troupe::net::make_error(error_code::node_down, "127.0.0.1:4000"), "127.0.0.1:4000");
  check_error(caf::error{}, "");
  // A context of several values travels as CAF's rendering of them.
  caf::error rich{uint8_t{3}, caf::atom("user"), caf::make_message(std::string{"a"}, 7)};
  check_error(rich, caf::to_string(rich.context()));
}

TEST_CASE("codec: the wire fields of an error are checked when read") {
  using troupe::net::detail::error_view;
  using troupe::net::detail::from_error_view;
  caf::error result;
  CHECK(is_net_error(from_error_view(error_view{300, "system", ""}, result),
                     error_code::malformed_payload));
  CHECK(
    is_net_error(from_error_view(error_view{1, "", ""}, result), error_code::malformed_payload));
  CHECK(is_net_error(from_error_view(error_view{1, "elevenchars", ""}, result),
                     error_code::malformed_payload));
  CHECK(!result); // untouched by the failures
  REQUIRE(!from_error_view(
    error_view{static_cast<uint32_t>(caf::sec::request_timeout), "system", "slow"}, result));
  CHECK(result == caf::sec::request_timeout);
  auto fields = troupe::net::detail::to_error_fields(result);
  CHECK(fields.code == static_cast<uint32_t>(caf::sec::request_timeout));
  CHECK(fields.category == "system");
  CHECK(fields.text == "slow");
}

TEST_CASE("codec: the content of an error reply is the error, that of a message its payloads") {
  using troupe::net::detail::error_view;
  using troupe::net::detail::message_view;
  type_registry types;
  error_view failure{static_cast<uint32_t>(error_code::unknown_target), "troupe_net", "nobody"};
  message_view reply;
  reply.reply_to = 7;
  reply.error = &failure;
  auto content = decode_content(types.table(), reply);
  REQUIRE(content);
  REQUIRE(content->match_elements<caf::error>());
  CHECK(is_net_error(content->get_as<caf::error>(0), error_code::unknown_target));
  CHECK(context_of(content->get_as<caf::error>(0)) == "nobody");
  error_view nonsense{1, "", ""};
  reply.error = &nonsense;
  auto refused = decode_content(types.table(), reply);
  REQUIRE(!refused);
  CHECK(is_net_error(refused.error(), error_code::malformed_payload));
  auto payloads = encode_ok(types, caf::make_message(int64_t{3}));
  payload_view view{payloads[0].type_url, payloads[0].value};
  message_view plain;
  plain.payload = {&view, 1};
  content = decode_content(types.table(), plain);
  REQUIRE(content);
  REQUIRE(content->match_elements<int64_t>());
  CHECK(content->get_as<int64_t>(0) == 3);
}

TEST_CASE("codec: the empty message crosses as no payload at all") {
  type_registry types;
  auto payloads = encode_ok(types, caf::message{});
  CHECK(payloads.empty());
  auto back = decode_owned(types, payloads);
  REQUIRE(back);
  CHECK(back->empty());
}

TEST_CASE("codec: an element type that cannot cross is refused at the sender, naming it") {
  type_registry types;
  REQUIRE(!types.add<troupe::test::Ping>());
  troupe::net::detail::encoded_message out;
  auto refused = [&](const caf::message& msg, std::string_view type_name) {
    CAPTURE(type_name);
    CHECK(is_net_error(check_crossable(types.table(), msg), error_code::cannot_cross));
    auto err = encode(types.table(), msg, out);
    REQUIRE(is_net_error(err, error_code::cannot_cross));
    CHECK(context_of(err).find(type_name) != std::string::npos);
    CHECK(out.size() == 0); // nothing half-encoded is left to send
  };
  refused(caf::make_message(std::vector<int>{1, 2}), "std::vector<int");
  refused(caf::make_message(make_ping("ok", 1), troupe::test::Pong{}), "troupe::test::Pong");
  refused(caf::make_message(caf::atom("ping")), "@atom");
  refused(caf::make_message(int16_t{3}), "@i16");
  CHECK(!check_crossable(types.table(), caf::make_message(make_ping("ok", 1), int64_t{2})));
}

TEST_CASE("codec: a payload of an unknown type URL is refused with unknown_type naming it") {
  type_registry types; // Ping not added
  troupe::test::Ping ping = make_ping("x", 1);
  std::vector<owned_payload> payloads{
    {"type.googleapis.com/google.protobuf.Int32Value", ""},
    {"type.googleapis.com/troupe.test.Ping", ping.SerializeAsString()}};
  auto back = decode_owned(types, payloads);
  REQUIRE(!back);
  CHECK(is_net_error(back.error(), error_code::unknown_type));
  CHECK(context_of(back.error()).find("type.googleapis.com/troupe.test.Ping") != std::string::npos);
  auto odd = decode_owned(types, {{"", ""}});
  REQUIRE(!odd);
  CHECK(is_net_error(odd.error(), error_code::unknown_type));
}

TEST_CASE("codec: bytes that do not parse as their type are refused with malformed_payload") {
  type_registry types;
  REQUIRE(!types.add<troupe::test::Ping>());
  const std::string truncated = "\x0a\x05"
                                "ab"; // field 1, 5 bytes announced, 2 present
  const std::string bad_varint = "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01";
  for (auto url :
       {"type.googleapis.com/troupe.test.Ping", "type.googleapis.com/google.protobuf.StringValue",
        "type.googleapis.com/google.protobuf.Int32Value",
        "type.googleapis.com/troupe.wire.ErrorValue"}) {
    CAPTURE(url);
    for (auto& bytes : {truncated, bad_varint}) {
      auto back = decode_owned(types, {{url, bytes}});
      REQUIRE(!back);
      CHECK(is_net_error(back.error(), error_code::malformed_payload));
      CHECK(context_of(back.error()).find(url) != std::string::npos);
    }
  }
  // An ErrorValue that parses but holds no valid error is refused as well.
  troupe::wire::ErrorValue wrong;
  wrong.set_code(1000);
  wrong.set_category("system");
  auto back = decode_owned(
    types, {{"type.googleapis.com/troupe.wire.ErrorValue", wrong.SerializeAsString()}});
  REQUIRE(!back);
  CHECK(is_net_error(back.error(), error_code::malformed_payload));
}

TEST_CASE("codec: interoperability: plain Protobuf reads a payload as an Any of the wrapper") {
  type_registry types;
  REQUIRE(!types.add<troupe::test::Ping>());
  auto payloads = encode_ok(types, caf::make_message(int32_t{-3}, std::string{"text"}, 2.25,
                                                     int64_t{1} << 40, true, make_ping("p", 8)));
  REQUIRE(payloads.size() == 6);
  std::vector<pb::Any> anys(payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    // Through the bytes of a real Any, as another language's client would see it.
    pb::Any sent;
    sent.set_type_url(payloads[i].type_url);
    sent.set_value(payloads[i].value);
    REQUIRE(anys[i].ParseFromString(sent.SerializeAsString()));
  }
  pb::Int32Value i32;
  REQUIRE(anys[0].UnpackTo(&i32));
  CHECK(i32.value() == -3);
  pb::StringValue str;
  REQUIRE(anys[1].UnpackTo(&str));
  CHECK(str.value() == "text");
  pb::DoubleValue dbl;
  REQUIRE(anys[2].UnpackTo(&dbl));
  CHECK(dbl.value() == 2.25);
  pb::Int64Value i64;
  REQUIRE(anys[3].UnpackTo(&i64));
  CHECK(i64.value() == int64_t{1} << 40);
  pb::BoolValue flag;
  REQUIRE(anys[4].UnpackTo(&flag));
  CHECK(flag.value());
  troupe::test::Ping ping;
  REQUIRE(anys[5].UnpackTo(&ping));
  CHECK(ping.seq() == 8);
  CHECK_FALSE(anys[5].Is<troupe::test::Pong>());
}

TEST_CASE("codec: interoperability: an Any packed by plain Protobuf decodes to the C++ value") {
  type_registry types;
  pb::Any number;
  pb::Int64Value i64;
  i64.set_value(-99);
  number.PackFrom(i64);
  pb::Any text;
  pb::StringValue str;
  str.set_value("from elsewhere");
  text.PackFrom(str);
  auto back =
    decode_owned(types, {{number.type_url(), number.value()}, {text.type_url(), text.value()}});
  REQUIRE(back);
  REQUIRE((back->match_elements<int64_t, std::string>()));
  CHECK(back->get_as<int64_t>(0) == -99);
  CHECK(back->get_as<std::string>(1) == "from elsewhere");
}

TEST_CASE("codec: registration refuses wrapper types and descriptors without a C++ class") {
  type_registry types;
  CHECK(types.add<pb::Int32Value>() == caf::sec::invalid_argument);
  // A descriptor built at run time has no generated class to decode into.
  pb::DescriptorPool pool;
  pb::FileDescriptorProto file;
  file.set_name("runtime.proto");
  file.set_package("rt");
  file.add_message_type()->set_name("Made");
  auto* built = pool.BuildFile(file);
  REQUIRE(built != nullptr);
  CHECK(types.add(*built->message_type(0)) == caf::sec::invalid_argument);
  CHECK(types.add_file(*built) == caf::sec::invalid_argument);
  CHECK_FALSE(types.knows("type.googleapis.com/rt.Made"));
}
