// The shared dictionary and list: Manager().dict() / Manager().list() semantics, each error,
// and linearizable single-key operations under concurrent clients, checked on their history.

#include <chrono>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "register_history.hpp"
#include "test_helpers.hpp"
#include "troupe/actors/shared_dict.hpp"
#include "troupe/actors/shared_error.hpp"
#include "troupe/actors/shared_list.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::actors::dict_items;
using troupe::actors::list_items;
using troupe::actors::repr;
using troupe::actors::shared_dict;
using troupe::actors::shared_error;
using troupe::actors::shared_list;
using troupe::actors::value;
using troupe::test::linearizable;
using troupe::test::patience;
using troupe::test::probe;
using troupe::test::register_op;

namespace {

struct test_config : troupe::config {
  test_config() { set("scheduler.max-threads", 4); }
};

/// The documents' modify_shared_objects, as an actor: reports the snapshots to `log`.
task modify_shared_objects(co_actor& self, shared_dict dict, shared_list list, caf::actor log) {
  (void)co_await dict.put(self, int64_t{1}, std::string{"一"});
  (void)co_await dict.put(self, std::string{"二"}, int64_t{2});
  (void)co_await dict.put(self, 0.25, std::monostate{});
  (void)co_await list.reverse(self);
  auto d = co_await dict.snapshot(self);
  auto l = co_await list.snapshot(self);
  self.send(log, repr(d ? *d : dict_items{}), repr(l ? *l : list_items{}));
}

list_items range(int64_t n) {
  list_items xs;
  for (int64_t i = 0; i < n; ++i)
    xs.emplace_back(i);
  return xs;
}

} // namespace

TEST_CASE("shared_dict: the documents' Manager() example prints what Python prints") {
  for (size_t shards : {1, 3}) {
    test_config cfg;
    troupe::system sys{cfg};
    probe p{sys};
    auto dict = shared_dict::spawn(sys, shards);
    REQUIRE(dict);
    auto list = shared_list::spawn(sys, range(10));
    sys.spawn(modify_shared_objects, *dict, list, p.handle());
    auto [d, l] = troupe::test::next<std::tuple<std::string, std::string>>(p);
    CHECK(d == "{1: '一', '二': 2, 0.25: None}");
    CHECK(l == "[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]");
  }
}

TEST_CASE("shared_dict: get, put, compare-and-set and erase act as on one register per key") {
  test_config cfg;
  troupe::system sys{cfg};
  auto dict = shared_dict::spawn(sys, 2);
  REQUIRE(dict);
  using opt = std::optional<value>;
  auto key = value{std::string{"k"}};
  auto& s = dict->shard_for(key);
  auto get = [&] { return sys.request<opt>(s, patience, shared_dict::get_atom::value, key); };
  auto cas = [&](opt expected, opt desired) {
    return sys.request<bool>(s, patience, shared_dict::cas_atom::value, key, expected, desired);
  };
  CHECK(*get() == opt{});
  CHECK(*cas(value{int64_t{1}}, value{int64_t{2}}) == false); // absent, not 1
  CHECK(*cas(opt{}, value{int64_t{1}}) == true);              // insert if absent
  CHECK(*get() == opt{value{int64_t{1}}});
  CHECK(*cas(opt{}, value{int64_t{5}}) == false);      // present now
  CHECK(*cas(value{1.0}, value{int64_t{5}}) == false); // 1.0 is not 1: types differ
  CHECK(*cas(value{int64_t{1}}, value{std::string{"x"}}) == true);
  CHECK(*get() == opt{value{std::string{"x"}}});
  CHECK(sys.request<>(s, patience, shared_dict::put_atom::value, key, value{true}));
  CHECK(*get() == opt{value{true}});
  CHECK(*cas(value{true}, opt{}) == true); // delete
  CHECK(*get() == opt{});
  CHECK(*sys.request<bool>(s, patience, shared_dict::erase_atom::value, key) == false);
  CHECK(sys.request<>(s, patience, shared_dict::put_atom::value, key, value{int64_t{3}}));
  CHECK(*sys.request<bool>(s, patience, shared_dict::erase_atom::value, key) == true);
  CHECK(*sys.request<uint64_t>(s, patience, shared_dict::size_atom::value) == 0);
}

TEST_CASE("shared_dict: zero shards is refused, list errors are reported and harm nothing") {
  test_config cfg;
  troupe::system sys{cfg};
  CHECK(troupe::actors::is(troupe::test::error_of(shared_dict::spawn(sys, 0)),
                           shared_error::invalid_argument));
  auto list = shared_list::spawn(sys, range(3));
  auto h = list.handle();
  auto at = [&](int64_t i) {
    return sys.request<value>(h, patience, shared_list::at_atom::value, i);
  };
  CHECK(*at(0) == value{int64_t{0}});
  CHECK(*at(-1) == value{int64_t{2}});
  CHECK(troupe::actors::is(troupe::test::error_of(at(3)), shared_error::index_out_of_range));
  CHECK(troupe::actors::is(troupe::test::error_of(at(-4)), shared_error::index_out_of_range));
  for (int i = 0; i < 3; ++i)
    CHECK(sys.request<value>(h, patience, shared_list::pop_atom::value));
  CHECK(troupe::actors::is(
    troupe::test::error_of(sys.request<value>(h, patience, shared_list::pop_atom::value)),
    shared_error::empty_list));
  CHECK(sys.request<>(h, patience, shared_list::append_atom::value, value{std::string{"x"}}));
  CHECK(*sys.request<uint64_t>(h, patience, shared_list::size_atom::value) == 1);
  CHECK(troupe::actors::repr(
          *sys.request<list_items>(h, patience, shared_list::snapshot_atom::value)) == "['x']");
}

TEST_CASE("shared_dict: values print as Python's repr") {
  using troupe::actors::repr;
  CHECK(repr(value{}) == "None");
  CHECK(repr(value{true}) == "True");
  CHECK(repr(value{int64_t{-3}}) == "-3");
  CHECK(repr(value{1.0}) == "1.0");
  CHECK(repr(value{0.1}) == "0.1");
  CHECK(repr(value{std::string{"it's"}}) == "'it\\'s'");
  CHECK(repr(dict_items{}) == "{}");
  CHECK(repr(list_items{}) == "[]");
}

TEST_CASE("shared_dict: the history checker accepts overlapping orders and rejects stale reads") {
  auto put = [](int64_t v, int64_t call, int64_t ret) {
    return register_op{register_op::put, v, std::nullopt, std::nullopt, false, call, ret};
  };
  auto get = [](std::optional<int64_t> r, int64_t call, int64_t ret) {
    return register_op{register_op::get, std::nullopt, std::nullopt, r, false, call, ret};
  };
  // A read overlapping a write may see either value...
  CHECK(linearizable({put(1, 0, 10), get(std::nullopt, 1, 2), get(1, 3, 4)}));
  // ...but once it saw the new one, a later read cannot see the old one.
  CHECK_FALSE(linearizable({put(1, 0, 10), get(1, 1, 2), get(std::nullopt, 3, 4)}));
  // A read after a completed write must see it.
  CHECK_FALSE(linearizable({put(1, 0, 1), get(std::nullopt, 2, 3)}));
  register_op swapped{register_op::cas, std::nullopt, 7, std::nullopt, true, 0, 1};
  register_op lost{register_op::cas, std::nullopt, 8, std::nullopt, true, 2, 3};
  CHECK_FALSE(linearizable({swapped, lost})); // two inserts-if-absent cannot both win
  lost.ok = false;
  CHECK(linearizable({swapped, lost, get(7, 4, 5)}));
}

namespace {

using history = std::vector<std::pair<int64_t, register_op>>; // (key, op)

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

std::optional<int64_t> as_int(const std::optional<value>& x) {
  if (!x)
    return std::nullopt;
  return std::get<int64_t>(*x);
}

std::optional<value> as_value(const std::optional<int64_t>& x) {
  if (!x)
    return std::nullopt;
  return value{*x};
}

/// A client that runs `n` random operations on keys 0..keys-1 and sends its history to `log`.
task random_client(co_actor& self, shared_dict dict, int id, uint32_t seed, int n, int64_t keys,
                   caf::actor log) {
  std::mt19937 rng{seed};
  history h;
  for (int i = 0; i < n; ++i) {
    auto key = static_cast<int64_t>(rng() % static_cast<uint32_t>(keys));
    register_op op;
    op.kind = static_cast<register_op::kind_type>(rng() % 4);
    int64_t fresh = id * 1000 + i; // every written value is unique
    std::optional<int64_t> small =
      static_cast<int64_t>(rng() % 3) == 0
        ? std::nullopt
        : std::optional<int64_t>{id * 1000 + static_cast<int>(rng() % (i + 1))};
    op.call = now_ns();
    if (op.kind == register_op::get) {
      auto r = co_await dict.get(self, value{key});
      op.read = r ? as_int(*r) : std::nullopt;
    } else if (op.kind == register_op::put) {
      op.arg = fresh;
      (void)co_await dict.put(self, value{key}, value{fresh});
    } else if (op.kind == register_op::cas) {
      // Expect what was last read or written by anyone, most often: a read first.
      auto cur = co_await dict.get(self, value{key});
      op.call = now_ns();
      op.arg = (cur && rng() % 4 != 0) ? as_int(*cur) : small;
      op.arg2 = rng() % 5 == 0 ? std::nullopt : std::optional<int64_t>{fresh};
      auto r = co_await dict.compare_and_set(self, value{key}, as_value(op.arg), as_value(op.arg2));
      op.ok = r && *r;
    } else {
      auto r = co_await dict.erase(self, value{key});
      op.ok = r && *r;
    }
    op.ret = now_ns();
    h.emplace_back(key, op);
  }
  self.send(log, std::move(h));
}

} // namespace

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(history)

TEST_CASE("shared_dict: single-key operations of concurrent clients are linearizable") {
  constexpr int clients = 4;
  constexpr int ops_per_client = 12;
  constexpr int64_t keys = 3;
  for (uint32_t round = 0; round < 8; ++round) {
    test_config cfg;
    troupe::system sys{cfg};
    probe p{sys};
    auto dict = shared_dict::spawn(sys, 2);
    REQUIRE(dict);
    for (int c = 0; c < clients; ++c)
      sys.spawn(random_client, *dict, c + 1, round * 100 + static_cast<uint32_t>(c), ops_per_client,
                keys, p.handle());
    std::map<int64_t, std::vector<register_op>> per_key;
    for (int c = 0; c < clients; ++c)
      for (auto& [key, op] : troupe::test::next<history>(p))
        per_key[key].push_back(op);
    for (auto& [key, ops] : per_key) {
      REQUIRE(ops.size() <= 64);
      INFO("round " << round << ", key " << key << ", " << ops.size() << " operations");
      CHECK(linearizable(ops));
    }
  }
}
