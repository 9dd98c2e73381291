// A remote client of troupe's pattern actors for the multi-process tests: a separate process
// that speaks only the patterns' Protobuf protocols (proto/troupe/actors) over troupe::net,
// from one coroutine actor (one client identity, as a real remote consumer has).
//
//   --role=produce --target=buffer@EP --first=A --count=N
//       puts Int64Value A..A+N-1; prints "put N", or "error <code> <text>" and stops.
//   --role=consume --target=buffer@EP
//       takes until END_OF_STREAM, marking each item done; prints "item V" per item and
//       "end N" at the end.
//   --role=hold --target=buffer@EP
//       takes one item, prints "holding V" and never marks it done (the test kills it).
// Every role prints "ready" once its node runs. The process ends when its role is done, or,
// for hold, when its stdin closes.

#include <cstdint>
#include <future>
#include <iostream>
#include <string>

#include <google/protobuf/wrappers.pb.h>

#include "troupe/actors/bounded_buffer.pb.h"
#include "troupe/actors/errors.pb.h"
#include "troupe/actors/protocols.hpp"
#include "troupe/co_actor.hpp"
#include "troupe/net/net.hpp"
#include "troupe/protobuf.hpp"
#include "troupe/system.hpp"
#include "troupe/task.hpp"

namespace {

namespace ta = troupe::actors;
using google::protobuf::Int64Value;

constexpr auto limit = std::chrono::seconds{30};

struct options {
  std::string role;
  std::string target;
  int64_t first = 0;
  int64_t count = 0;
};

/// The client's configuration: its options and the network layer with the patterns' types.
struct client_config : troupe::config {
  options opt;

  client_config() {
    opt_group{custom_options_, "global"}
      .add(opt.role, "role", "produce, consume or hold")
      .add(opt.target, "target", "the buffer, name@endpoint")
      .add(opt.first, "first", "first item (produce)")
      .add(opt.count, "count", "items to put (produce)");
  }
};

/// Prints an error reply (troupe.actors.Error or a caf::error) and says whether it was one.
bool report_error(troupe::system& sys, const caf::expected<caf::message>& reply) {
  if (!reply) {
    std::cout << "error caf " << sys.engine().render(reply.error()) << std::endl;
    return true;
  }
  if (reply->match_elements<ta::Error>()) {
    auto& err = reply->get_as<ta::Error>(0);
    std::cout << "error " << ta::ErrorCode_Name(err.code()) << ' ' << err.text() << std::endl;
    return true;
  }
  return false;
}

troupe::task produce(troupe::co_actor& self, options opt, std::promise<void>* done) {
  for (int64_t i = opt.first; i < opt.first + opt.count; ++i) {
    Int64Value value;
    value.set_value(i);
    ta::Put put;
    put.mutable_item()->PackFrom(value);
    auto reply = co_await self.request<caf::message>(opt.target, limit, put);
    if (report_error(self.system(), reply)) {
      done->set_value();
      co_return;
    }
  }
  std::cout << "put " << opt.count << std::endl;
  done->set_value();
}

troupe::task consume(troupe::co_actor& self, options opt, std::promise<void>* done) {
  int64_t taken = 0;
  for (;;) {
    auto reply = co_await self.request<caf::message>(opt.target, limit, ta::Take{});
    if (reply && reply->match_elements<ta::Error>() &&
        reply->get_as<ta::Error>(0).code() == ta::END_OF_STREAM)
      break;
    Int64Value value;
    if (report_error(self.system(), reply) || !reply->match_elements<ta::Item>() ||
        !reply->get_as<ta::Item>(0).item().UnpackTo(&value))
      break;
    std::cout << "item " << value.value() << '\n';
    ++taken;
    auto marked = co_await self.request<caf::message>(opt.target, limit, ta::TaskDone{});
    if (report_error(self.system(), marked))
      break;
  }
  std::cout << "end " << taken << std::endl;
  done->set_value();
}

troupe::task hold(troupe::co_actor& self, options opt, std::promise<void>* done) {
  auto reply = co_await self.request<caf::message>(opt.target, limit, ta::Take{});
  Int64Value value;
  if (!report_error(self.system(), reply) && reply->match_elements<ta::Item>() &&
      reply->get_as<ta::Item>(0).item().UnpackTo(&value))
    std::cout << "holding " << value.value() << std::endl;
  done->set_value();
  co_await self.receive<int32_t>(); // Holds the item (and stays alive) until killed.
}

} // namespace

int main(int argc, char** argv) {
  client_config cfg;
  troupe::net::type_registry types;
  if (auto err = ta::register_protocols(types)) {
    std::cerr << "pattern_client: cannot register the protocols\n";
    return 1;
  }
  troupe::net::enable(cfg, std::move(types));
  if (auto done = cfg.parse_command_line(argc, argv, "A remote client of the pattern actors.\n"))
    return *done;
  troupe::system sys{cfg};
  auto& opt = cfg.opt;
  std::promise<void> done;
  auto finished = done.get_future();
  if (opt.role == "produce")
    sys.spawn(produce, opt, &done);
  else if (opt.role == "consume")
    sys.spawn(consume, opt, &done);
  else if (opt.role == "hold")
    sys.spawn(hold, opt, &done);
  else {
    std::cerr << "pattern_client: unknown --role\n";
    return 2;
  }
  std::cout << "ready" << std::endl;
  finished.wait();
  if (opt.role == "hold") {
    std::string line;
    while (std::getline(std::cin, line)) {
      // Holds until the test closes stdin or kills this process.
    }
  }
  sys.shutdown();
  return 0;
}
