// A bounded buffer in this process served to remote clients in other OS processes
// (tests/actors_remote/pattern_client.cpp), which speak only its Protobuf protocol over
// troupe::net (127.0.0.1, a port the OS chose): producers and consumers in separate processes,
// and a consumer killed with SIGKILL while it holds an item.

#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors_remote/remote_fixture.hpp"
#include "actors_test_helpers.hpp"
#include "net/child_process.hpp"
#include "troupe/actors/bounded_buffer.hpp"

using namespace std::chrono_literals;
namespace ta = troupe::actors;
using troupe::test::child_process;
using troupe::test::pattern_node;
using troupe::test::probe;

namespace {

/// Long enough for a loaded machine; only a broken build waits this long.
constexpr auto slow = std::chrono::milliseconds{60000};

/// Starts a pattern client process with `role` against `target`, plus `extra` options, and
/// waits until it runs.
std::unique_ptr<child_process> start_client(const std::string& role, const std::string& target,
                                            std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{TROUPE_PATTERN_CLIENT, "--role=" + role, "--target=" + target};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto result = std::make_unique<child_process>(argv);
  REQUIRE_MESSAGE(result->expect_line("ready", slow), "the pattern client did not start");
  return result;
}

/// Reads a consumer's "item V" lines until its "end N" line; counts each value it took.
int64_t read_items(child_process& consumer, std::map<int64_t, int>& seen) {
  for (;;) {
    auto line = consumer.read_line(slow);
    REQUIRE_MESSAGE(line.has_value(), "a consumer stopped reporting");
    if (line->starts_with("item ")) {
      ++seen[std::stoll(line->substr(5))];
      continue;
    }
    REQUIRE_MESSAGE(line->starts_with("end "), "unexpected line: " << *line);
    return std::stoll(line->substr(4));
  }
}

/// A buffer registered as "buffer" on a node of this process that listens on 127.0.0.1.
struct served_buffer {
  explicit served_buffer(size_t capacity)
      : buffer(*ta::bounded_buffer::spawn(node.sys, capacity)), local(node.sys) {
    REQUIRE_FALSE(node.sys.register_name("buffer", buffer.handle()));
    address = "buffer@" + node.endpoint;
  }

  ta::buffer_stats stats() {
    auto result = troupe::test::call_for<ta::buffer_stats>(local, buffer.handle(),
                                                           ta::bounded_buffer::stats_atom::value);
    REQUIRE(result);
    return *result;
  }

  pattern_node node{true};
  ta::bounded_buffer buffer;
  probe local;
  std::string address;
};

} // namespace

TEST_CASE("remote buffer processes: remote producers and consumers move every item exactly once") {
  served_buffer s{5};
  constexpr int64_t per_producer = 200;
  auto consumer_a = start_client("consume", s.address);
  auto consumer_b = start_client("consume", s.address);
  auto producer_a = start_client("produce", s.address, {"--first=0", "--count=200"});
  auto producer_b = start_client("produce", s.address, {"--first=200", "--count=200"});
  CHECK(producer_a->expect_line("put ", slow) == "200");
  CHECK(producer_b->expect_line("put ", slow) == "200");
  // Every put was acknowledged: closing now lets the consumers drain and end.
  CHECK_FALSE(
    troupe::test::call(s.local, s.buffer.handle(), ta::bounded_buffer::close_atom::value));
  std::map<int64_t, int> seen;
  auto taken = read_items(*consumer_a, seen) + read_items(*consumer_b, seen);
  CHECK(taken == 2 * per_producer);
  CHECK(seen.size() == 2 * per_producer);
  for (auto& [value, count] : seen) {
    CAPTURE(value);
    CHECK(count == 1);
    CHECK(value >= 0);
    CHECK(value < 2 * per_producer);
  }
  auto st = s.stats();
  CHECK(st.puts == 2 * per_producer);
  CHECK(st.takes == 2 * per_producer);
  CHECK(st.unfinished == 0);
  CHECK(st.redelivered == 0);
  CHECK(st.high_water <= 5);
}

TEST_CASE(
  "remote buffer processes: the item of a taker killed with SIGKILL goes to another taker") {
  served_buffer s{5};
  for (int64_t i = 0; i < 3; ++i)
    CHECK_FALSE(
      troupe::test::call(s.local, s.buffer.handle(), ta::bounded_buffer::put_atom::value, i));
  auto holder = start_client("hold", s.address);
  CHECK(holder->expect_line("holding ", slow) == "0");
  holder->kill(SIGKILL);
  holder->reap();
  // The next taker may come before or after the buffer learns of the loss (the connection
  // closes with the process): once the buffer is closed it ends only after the held item came
  // back and was taken too.
  auto consumer = start_client("consume", s.address);
  CHECK_FALSE(
    troupe::test::call(s.local, s.buffer.handle(), ta::bounded_buffer::close_atom::value));
  std::map<int64_t, int> seen;
  CHECK(read_items(*consumer, seen) == 3);
  CHECK(seen == std::map<int64_t, int>{{0, 1}, {1, 1}, {2, 1}});
  auto st = s.stats();
  CHECK(st.redelivered == 1);
  CHECK(st.takes == 4);
  CHECK(st.unfinished == 0);
}
