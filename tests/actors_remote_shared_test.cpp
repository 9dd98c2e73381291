// The shared dictionary and list served to a remote client that speaks their Protobuf
// protocol (proto/troupe/actors/shared_dict.proto): two nodes in this process, over TCP on
// 127.0.0.1. Replies, SharedError codes, and local and remote clients on the same data.

#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors_remote/remote_fixture.hpp"
#include "actors_test_helpers.hpp"
#include "troupe/actors/shared_dict.hpp"
#include "troupe/actors/shared_dict.pb.h"
#include "troupe/actors/shared_list.hpp"

namespace ta = troupe::actors;
using troupe::test::ask_proto;
using troupe::test::holds;
using troupe::test::pattern_node;
using troupe::test::probe;

namespace {

ta::Value integer(int64_t x) {
  ta::Value v;
  v.set_integer(x);
  return v;
}

ta::Value text(std::string x) {
  ta::Value v;
  v.set_text(std::move(x));
  return v;
}

/// The code of a SharedError reply, or SHARED_ERROR_CODE_UNSPECIFIED if it is none.
ta::SharedErrorCode shared_code(const caf::expected<caf::message>& reply) {
  if (!holds<ta::SharedError>(reply))
    return ta::SHARED_ERROR_CODE_UNSPECIFIED;
  return reply->get_as<ta::SharedError>(0).code();
}

bool cas_ok(const caf::expected<caf::message>& reply) {
  REQUIRE(holds<ta::CasReply>(reply));
  return reply->get_as<ta::CasReply>(0).ok();
}

} // namespace

TEST_CASE("remote shared: a dict shard answers get, put, compare-and-set, erase and entries") {
  pattern_node server{true};
  pattern_node client;
  auto dict = *ta::shared_dict::spawn(server.sys, 1);
  REQUIRE_FALSE(server.sys.register_name("dict", dict.shards()[0]));
  auto remote = client.remote(server, "dict");
  probe p{client.sys};
  probe local{server.sys};
  ta::DictPut put;
  *put.mutable_key() = integer(1);
  *put.mutable_value() = text("one");
  CHECK(holds<ta::DictDone>(ask_proto(p, remote, put)));
  // A local client sees what the remote one put, and the other way round.
  auto seen = troupe::test::call_for<std::optional<ta::value>>(
    local, dict.shards()[0], ta::shared_dict::get_atom::value, ta::value{int64_t{1}});
  REQUIRE(seen);
  CHECK(*seen == std::optional<ta::value>{std::string{"one"}});
  CHECK_FALSE(troupe::test::call(local, dict.shards()[0], ta::shared_dict::put_atom::value,
                                 ta::value{std::string{"two"}}, ta::value{int64_t{2}}));
  ta::DictGet get;
  *get.mutable_key() = text("two");
  auto got = ask_proto(p, remote, get);
  REQUIRE(holds<ta::GetReply>(got));
  REQUIRE(got->get_as<ta::GetReply>(0).has_value());
  CHECK(got->get_as<ta::GetReply>(0).value().integer() == 2);
  *get.mutable_key() = text("absent");
  auto absent = ask_proto(p, remote, get);
  REQUIRE(holds<ta::GetReply>(absent));
  CHECK_FALSE(absent->get_as<ta::GetReply>(0).has_value());
  // Compare-and-set: absent expected fails on a present key; the current value succeeds.
  ta::DictCompareAndSet cas;
  *cas.mutable_key() = integer(1);
  *cas.mutable_desired() = text("uno");
  CHECK_FALSE(cas_ok(ask_proto(p, remote, cas)));
  *cas.mutable_expected() = text("one");
  CHECK(cas_ok(ask_proto(p, remote, cas)));
  ta::DictErase erase;
  *erase.mutable_key() = text("two");
  CHECK(cas_ok(ask_proto(p, remote, erase)));
  CHECK_FALSE(cas_ok(ask_proto(p, remote, erase)));
  auto entries = ask_proto(p, remote, ta::DictEntriesRequest{});
  REQUIRE(holds<ta::DictEntries>(entries));
  auto& es = entries->get_as<ta::DictEntries>(0);
  REQUIRE(es.entries_size() == 1);
  CHECK(es.entries(0).key().integer() == 1);
  CHECK(es.entries(0).value().text() == "uno");
  // A key with no kind set is refused.
  CHECK(shared_code(ask_proto(p, remote, ta::DictGet{})) == ta::SHARED_INVALID_ARGUMENT);
}

TEST_CASE("remote shared: a list appends, reverses, indexes and pops for a Protobuf client") {
  pattern_node server{true};
  pattern_node client;
  auto list = ta::shared_list::spawn(server.sys);
  REQUIRE_FALSE(server.sys.register_name("list", list.handle()));
  auto remote = client.remote(server, "list");
  probe p{client.sys};
  for (int64_t i = 0; i < 3; ++i) {
    ta::ListAppend append;
    *append.mutable_item() = integer(i);
    CHECK(holds<ta::DictDone>(ask_proto(p, remote, append)));
  }
  CHECK(holds<ta::DictDone>(ask_proto(p, remote, ta::ListReverse{})));
  ta::ListAt at;
  at.set_index(-1);
  auto last = ask_proto(p, remote, at);
  REQUIRE(holds<ta::Value>(last));
  CHECK(last->get_as<ta::Value>(0).integer() == 0);
  at.set_index(3);
  CHECK(shared_code(ask_proto(p, remote, at)) == ta::INDEX_OUT_OF_RANGE);
  auto popped = ask_proto(p, remote, ta::ListPop{});
  REQUIRE(holds<ta::Value>(popped));
  CHECK(popped->get_as<ta::Value>(0).integer() == 0);
  auto items = ask_proto(p, remote, ta::ListSnapshot{});
  REQUIRE(holds<ta::ListItems>(items));
  std::vector<int64_t> values;
  for (auto& x : items->get_as<ta::ListItems>(0).items())
    values.push_back(x.integer());
  CHECK(values == std::vector<int64_t>{2, 1});
  CHECK(holds<ta::Value>(ask_proto(p, remote, ta::ListPop{})));
  CHECK(holds<ta::Value>(ask_proto(p, remote, ta::ListPop{})));
  auto empty = ask_proto(p, remote, ta::ListPop{});
  CHECK(shared_code(empty) == ta::EMPTY_LIST);
  CHECK(empty->get_as<ta::SharedError>(0).text() == "pop from an empty list");
  ta::ListAppend bad; // an item with no kind set
  CHECK(shared_code(ask_proto(p, remote, bad)) == ta::SHARED_INVALID_ARGUMENT);
}
