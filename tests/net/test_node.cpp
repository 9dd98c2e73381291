// A node for the multi-process tests of troupe::net: it listens where told (troupe.net.listen),
// prints "endpoint <bound endpoint>" and "incarnation <id>", serves a few named actors, and
// shuts down when its stdin closes (so it never outlives a test that forgot it).
//
// Actors:
// - "echo": answers every request with its content (int32, int64, string); plain messages that
//   carry a sender are sent back to it.
// - "fail": answers every request with the error sec::invalid_argument ("refused on purpose").
// - "silent": takes requests and never answers them.
// - "order": takes int32 values; the request "check" answers the count of values received if
//   they came as 0, 1, 2, ... and -(index + 1) of the first one out of order otherwise.
// - "sequence": takes (int32 sender, int32 seq) and the request ("ack", int32 sender, int32 seq),
//   answered with seq; each sender's seq must run 0, 1, 2, ... across both kinds. The request
//   "check" answers the count of messages if every sender's were in order, and -(number of
//   messages out of order) otherwise.
// - "mortal": the request ("burst", n) sends n int32 values 0..n-1 to the requester, then the
//   actor exits with reason sec::runtime_error ("exited on purpose") without answering.

#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "troupe/net/net.hpp"
#include "troupe/system.hpp"

namespace {

caf::behavior echo(caf::event_based_actor* self) {
  auto back = [self](auto x) {
    if (!self->current_message_id().is_request() && self->current_sender())
      self->send(caf::actor_cast<caf::actor>(self->current_sender()), x);
    return x;
  };
  return {
    [back](int32_t x) { return back(x); },
    [back](int64_t x) { return back(x); },
    [back](const std::string& x) { return back(x); },
  };
}

caf::behavior fail(caf::event_based_actor*) {
  auto refuse = [] { return caf::make_error(caf::sec::invalid_argument, "refused on purpose"); };
  return {
    [refuse](int32_t) -> caf::result<int32_t> { return refuse(); },
    [refuse](const std::string&) -> caf::result<std::string> { return refuse(); },
  };
}

caf::behavior silent(caf::event_based_actor* self) {
  auto promises = std::make_shared<std::vector<caf::response_promise>>();
  return {
    [self, promises](int32_t) -> caf::result<int32_t> {
      promises->push_back(self->make_response_promise());
      return caf::delegated<int32_t>{};
    },
  };
}

caf::behavior order(caf::event_based_actor*) {
  auto count = std::make_shared<int64_t>(0);
  auto broken = std::make_shared<int64_t>(0);
  return {
    [count, broken](int32_t x) {
      if (*broken == 0 && x != *count)
        *broken = -(*count + 1);
      ++*count;
    },
    [count, broken](const std::string& cmd) -> caf::result<int64_t> {
      if (cmd != "check")
        return caf::make_error(caf::sec::invalid_argument, cmd);
      return *broken != 0 ? *broken : *count;
    },
  };
}

caf::behavior sequence(caf::event_based_actor*) {
  struct state {
    std::map<int32_t, int32_t> next; // per sender
    int64_t count = 0;
    int64_t out_of_order = 0;
    void take(int32_t sender, int32_t seq) {
      auto& expected = next[sender];
      if (seq != expected)
        ++out_of_order;
      expected = seq + 1;
      ++count;
    }
  };
  auto st = std::make_shared<state>();
  return {
    [st](int32_t sender, int32_t seq) { st->take(sender, seq); },
    [st](const std::string& ack, int32_t sender, int32_t seq) -> caf::result<int32_t> {
      if (ack != "ack")
        return caf::make_error(caf::sec::invalid_argument, ack);
      st->take(sender, seq);
      return seq;
    },
    [st](const std::string& cmd) -> caf::result<int64_t> {
      if (cmd != "check")
        return caf::make_error(caf::sec::invalid_argument, cmd);
      return st->out_of_order != 0 ? -st->out_of_order : st->count;
    },
  };
}

caf::behavior mortal(caf::event_based_actor* self) {
  return {
    [self](const std::string&, int32_t n) {
      auto to = caf::actor_cast<caf::actor>(self->current_sender());
      for (int32_t i = 0; i < n; ++i)
        self->send(to, i);
      self->quit(caf::make_error(caf::sec::runtime_error, "exited on purpose"));
    },
  };
}

/// Runs one of the behaviours above as a class-based actor (function-based actors spawned
/// without arguments trip a known UBSan false alarm inside CAF 0.17, see .ci/ubsan.supp).
class test_actor : public caf::event_based_actor {
public:
  using behavior_fun = caf::behavior (*)(caf::event_based_actor*);

  test_actor(caf::actor_config& cfg, behavior_fun fun) : caf::event_based_actor(cfg), fun_(fun) {}

  caf::behavior make_behavior() override { return fun_(this); }

private:
  behavior_fun fun_;
};

} // namespace

int main(int argc, char** argv) {
  troupe::config cfg;
  troupe::net::enable(cfg);
  if (auto done = cfg.parse_command_line(argc, argv, "A node for troupe's network tests.\n"))
    return *done;
  troupe::system sys{cfg};
  auto* node = troupe::net::node_of(sys);
  if (node == nullptr || node->endpoints().empty()) {
    std::cerr << "test_node: not listening (set --troupe.net.listen)\n";
    return 1;
  }
  auto& engine = sys.engine();
  sys.register_name("echo", engine.spawn<test_actor>(&echo));
  sys.register_name("fail", engine.spawn<test_actor>(&fail));
  sys.register_name("silent", engine.spawn<test_actor>(&silent));
  sys.register_name("order", engine.spawn<test_actor>(&order));
  sys.register_name("sequence", engine.spawn<test_actor>(&sequence));
  sys.register_name("mortal", engine.spawn<test_actor>(&mortal));
  std::cout << "incarnation " << node->incarnation() << '\n'
            << "endpoint " << node->endpoints().front() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    // Input is ignored; end of input ends the node.
  }
  sys.shutdown();
  return 0;
}
