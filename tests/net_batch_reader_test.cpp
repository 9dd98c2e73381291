// The batch reader on its own: what it reads by hand is what Protobuf's parser reads, for the
// frames C++ nodes write, for other valid encodings, and for mutated bytes; what it does not
// take is left to Protobuf.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "batch_encoder.hpp"
#include "batch_reader.hpp"
#include "net_protocol_harness.hpp"
#include "troupe/wire.pb.h"

using namespace troupe::net;
using namespace troupe::net::test;
using detail::batch_reader;
using detail::payload_view;
namespace wire = troupe::wire;
using namespace std::string_literals;

namespace {

/// A frame body as a C++ node writes it: messages by name and id, requests, replies, an error
/// reply, several payload elements.
std::string encoded_body() {
  detail::batch_encoder encoder{64 * 1024, 1000};
  std::vector<char> sink;
  std::string forty_two = "\x08\x2a";
  std::string hello = "\x0a\x05hello";
  payload_view one[] = {{int32_url, forty_two}};
  payload_view two[] = {{string_url, hello}, {int32_url, forty_two}};
  auto m = to_name("counter", one, 7);
  REQUIRE(!encoder.add(m, 1 << 20, sink));
  m = to_name("printer", two, 8);
  m.request_id = 3;
  REQUIRE(!encoder.add(m, 1 << 20, sink));
  detail::message_view by_id;
  by_id.target.id = 99;
  by_id.payload = one;
  REQUIRE(!encoder.add(by_id, 1 << 20, sink));
  detail::message_view reply;
  reply.reply_to = 5;
  reply.sender_id = 7;
  detail::error_view err{4, "system", "request_timeout"};
  reply.error = &err;
  REQUIRE(!encoder.add(reply, 1 << 20, sink));
  encoder.finish(sink);
  return std::string{sink.begin() + 4, sink.end()}; // without the length prefix
}

/// Requires that `a` and `b` hold the same batch.
void check_same(const batch_reader& a, const batch_reader& b) {
  REQUIRE(a.type_urls() == b.type_urls());
  REQUIRE(a.target_names() == b.target_names());
  REQUIRE(a.sender_ids() == b.sender_ids());
  REQUIRE(a.messages().size() == b.messages().size());
  REQUIRE(a.payloads().size() == b.payloads().size());
  for (std::size_t i = 0; i < a.messages().size(); ++i) {
    const auto& x = a.messages()[i];
    const auto& y = b.messages()[i];
    CHECK(x.target_name == y.target_name);
    CHECK(x.target_id == y.target_id);
    CHECK(x.sender == y.sender);
    CHECK(x.request_id == y.request_id);
    CHECK(x.reply_to == y.reply_to);
    CHECK(x.payload_begin == y.payload_begin);
    CHECK(x.payload_end == y.payload_end);
    CHECK(x.has_error == y.has_error);
    CHECK(x.error.code == y.error.code);
    CHECK(x.error.category == y.error.category);
    CHECK(x.error.text == y.error.text);
  }
  for (std::size_t i = 0; i < a.payloads().size(); ++i) {
    CHECK(a.payloads()[i].type == b.payloads()[i].type);
    CHECK(a.payloads()[i].value == b.payloads()[i].value);
  }
}

/// Reads `body` by hand and, if that succeeds, requires Protobuf to read the same. Returns
/// whether the hand reader took it.
bool read_like_protobuf(const std::string& body) {
  batch_reader fast;
  bool took = fast.read(body);
  if (!took) {
    CHECK(fast.size() == 0);
    return false;
  }
  wire::Frame f;
  REQUIRE_MESSAGE(f.ParseFromArray(body.data(), static_cast<int>(body.size())),
                  "the reader took bytes that Protobuf refuses");
  REQUIRE(f.has_batch());
  batch_reader slow;
  slow.assign(f.batch());
  check_same(fast, slow);
  return true;
}

/// A frame body holding `batch`, serialized by Protobuf itself.
std::string protobuf_body(const wire::Batch& batch) {
  wire::Frame f;
  *f.mutable_batch() = batch;
  return f.SerializeAsString();
}

} // namespace

TEST_CASE("batch reader: it reads what a C++ node writes as Protobuf does") {
  auto body = encoded_body();
  REQUIRE(read_like_protobuf(body));
  batch_reader r;
  REQUIRE(r.read(body));
  CHECK(r.why_malformed().empty());
  REQUIRE(r.size() == 4);
  std::vector<payload_view> payload;
  detail::error_view err;
  auto second = r.view(1, payload, err);
  CHECK(second.target.name == "printer");
  CHECK(second.sender_id == 8);
  CHECK(second.request_id == 3);
  REQUIRE(second.payload.size() == 2);
  CHECK(second.payload[0].type_url == string_url);
  CHECK(second.payload[1].value == "\x08\x2a");
  auto third = r.view(2, payload, err);
  CHECK(third.target.id == 99);
  CHECK(third.sender_id == 0);
  auto fourth = r.view(3, payload, err);
  CHECK(fourth.reply_to == 5);
  REQUIRE(fourth.error != nullptr);
  CHECK(fourth.error->category == "system");
  CHECK(fourth.error->text == "request_timeout");
}

TEST_CASE("batch reader: other valid encodings are read as Protobuf reads them") {
  wire::Batch b;
  b.add_type_urls(int32_url);
  b.add_target_names("counter");
  b.add_sender_ids(7);
  b.add_sender_ids(300); // Protobuf packs them: the reader unpacks
  auto* m = b.add_messages();
  m->set_target_name(1);
  m->set_sender(2);
  auto* p = m->add_payload();
  p->set_type(0);
  p->set_value("\x08\x01");
  auto body = protobuf_body(b);
  CHECK(read_like_protobuf(body));
  // Messages before the tables, an empty batch: the order of fields is free.
  wire::Batch empty;
  CHECK(read_like_protobuf(protobuf_body(empty)));
  std::string reordered = "\x22\x0e"
                          "\x22\x04\x08\x01\x18\x01" // the message first
                          "\x12\x01x"                // then target_names
                          "\x18\x07";                // and sender_ids, unpacked
  reordered += std::string{"\x0a\x01y"};
  reordered[1] = static_cast<char>(reordered.size() - 2);
  CHECK(read_like_protobuf(reordered));
}

TEST_CASE("batch reader: what Protobuf must decide is left to it") {
  auto body = encoded_body();
  batch_reader r;
  // Another frame kind, or the batch followed by another field of Frame.
  CHECK(!r.read(std::string{"\x5a\x00", 2}));
  CHECK(!r.read(body + std::string{"\x5a\x00", 2}));
  // An unknown field inside the batch.
  std::string inner = "\x12\x01x" // target_names: "x"
                      "\x78\x01"; // field 15, varint
  auto with_unknown = "\x22"s + static_cast<char>(inner.size()) + inner;
  CHECK(!r.read(with_unknown));
  wire::Frame parsed; // Protobuf skips the unknown field
  REQUIRE(parsed.ParseFromString(with_unknown));
  CHECK(parsed.batch().target_names(0) == "x");
  CHECK(r.size() == 0);
  // A table string that is not UTF-8.
  wire::Batch b;
  b.add_target_names("ok");
  auto bad_utf8 = protobuf_body(b);
  bad_utf8.back() = '\xff';
  CHECK(!r.read(bad_utf8));
  // Cut short.
  CHECK(!r.read(body.substr(0, body.size() - 1)));
  CHECK(!r.read(std::string{}));
}

TEST_CASE("batch reader: mutated frames are read as Protobuf reads them, or left to it") {
  auto body = encoded_body();
  std::mt19937 rng{20261201};
  int taken = 0;
  for (int round = 0; round < 20000; ++round) {
    auto bytes = body;
    auto edits = 1 + rng() % 3;
    for (unsigned e = 0; e < edits && !bytes.empty(); ++e) {
      auto at = rng() % bytes.size();
      switch (rng() % 3) {
      case 0:
        bytes[at] = static_cast<char>(rng());
        break;
      case 1:
        bytes.erase(at, 1);
        break;
      default:
        bytes.insert(at, 1, static_cast<char>(rng()));
        break;
      }
    }
    CAPTURE(round);
    if (read_like_protobuf(bytes))
      ++taken;
  }
  // Many mutations keep a valid batch (a changed value, a changed index): those were compared.
  CHECK(taken > 1000);
}
