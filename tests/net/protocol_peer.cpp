// A wire protocol peer without CAF's runtime: troupe's protocol state machine and payload codec
// on a plain TCP socket, serving a few fake actors, so that a client written in another language
// (samples/python) is tested against the real protocol logic of the C++ side.
//
// Usage: protocol_peer [--secret-file=F] [--connections=N]
// Listens on 127.0.0.1 (port chosen by the OS), prints "listening 127.0.0.1:PORT", then serves
// N connections (default 1) one after another and exits 0. The actors:
//   counter  a one-way message with an integer adds it; a request with no payload (the empty
//            message) is answered with the total (google.protobuf.Int64Value)
//   echo     a request with a troupe.test.Ping is answered with a Pong (text + "!", seq + 1);
//            any other request is answered with its own payloads
//   fail     a request is answered with the error caf::sec::runtime_error, "failed on purpose"
//   doomed   can be monitored; any message makes it exit (Down with exit_reason::user_shutdown)
// A message to any other name is refused with unknown_target, a payload of an unregistered type
// with unknown_type; a monitor on a name that does not exist gets a Down at once (exit reason
// unknown); a lookup finds the four by the ids 1 to 4 (doomed only while it lives).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <caf/exit_reason.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include <troupe/error.hpp>
#include <troupe/net/type_registry.hpp>
#include <troupe/protobuf.hpp>

#include "error_value.hpp"
#include "payload_codec.hpp"
#include "protocol.hpp"
#include "replay_guard.hpp"
#include "troupe/test/messages.pb.h"

namespace {

using namespace troupe::net::detail;
using troupe::net::error_code;

struct options {
  std::string secret;
  int connections = 1;
};

bool parse_options(int argc, char** argv, options& out) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--secret-file=", 0) == 0) {
      std::ifstream in{arg.substr(14), std::ios::binary};
      if (!in)
        return false;
      std::ostringstream text;
      text << in.rdbuf();
      out.secret = text.str();
      // As a node reads it: the line end(s) at the end are not part of the secret.
      while (!out.secret.empty() && (out.secret.back() == '\n' || out.secret.back() == '\r'))
        out.secret.pop_back();
    } else if (arg.rfind("--connections=", 0) == 0) {
      out.connections = std::stoi(arg.substr(14));
    } else {
      return false;
    }
  }
  return true;
}

/// The fake actors behind one connection.
class fake_actors : public protocol_callee {
public:
  explicit fake_actors(const troupe::net::type_registry& types) : types_(types) {
    // nop
  }

  protocol* proto = nullptr;
  bool over = false;

  void on_handshake_done(uint64_t, std::string_view) override {
    // nop
  }

  void on_message(const message_view& msg) override {
    auto content = decode(types_.table(), msg.payload);
    if (!content) {
      proto->reject(msg, error_code::unknown_type, caf::to_string(content.error()));
      return;
    }
    auto name = msg.target.name;
    if (name == "counter")
      counter(msg, *content);
    else if (name == "echo")
      echo(msg, *content);
    else if (name == "fail")
      fail(msg);
    else if (name == "doomed" && doomed_alive_)
      doom();
    else
      proto->reject(msg, error_code::unknown_target, "no actor named " + std::string{name});
  }

  void on_reply(const message_view& msg) override {
    proto->reject(msg, error_code::unknown_request, "this peer sends no requests");
  }

  void on_monitor(const actor_target& target) override {
    if (target.name == "doomed" && doomed_alive_) {
      ++doomed_monitors_;
      return;
    }
    auto reason = to_error_fields(caf::make_error(caf::exit_reason::unknown));
    proto->send_down(target, reason.view());
  }

  void on_demonitor(const actor_target& target) override {
    if (target.name == "doomed" && doomed_monitors_ > 0)
      --doomed_monitors_;
  }

  void on_down(const actor_target&, const error_view&) override {
    // nop: this peer monitors nothing
  }

  void on_lookup(std::string_view name, uint64_t request_id) override {
    const std::string_view names[] = {"counter", "echo", "fail", "doomed"};
    for (uint64_t id = 1; id <= 4; ++id)
      if (name == names[id - 1] && (id != 4 || doomed_alive_)) {
        proto->send_lookup_result(request_id, id, {});
        return;
      }
    auto reason =
      to_error_fields(troupe::make_error(troupe::error_code::unknown_name, std::string{name}));
    proto->send_lookup_result(request_id, 0, reason.view());
  }

  void on_lookup_result(uint64_t, uint64_t, const error_view&) override {
    // nop: this peer looks nothing up
  }

  void on_peer_error(const peer_error& err) override {
    std::cerr << "protocol_peer: peer error " << err.code << ": " << err.text << "\n";
    over = over || err.closing;
  }

  void on_heartbeat() override {
    // nop
  }

  void on_goodbye(std::string_view) override { over = true; }

  void on_protocol_error(error_code code, std::string_view text) override {
    std::cerr << "protocol_peer: " << to_string(code) << ": " << text << "\n";
    over = true;
  }

private:
  void reply(const message_view& request, const caf::message& content) {
    if (request.request_id == 0)
      return;
    if (auto err = encode(types_.table(), content, encoded_)) {
      proto->reject(request, error_code::cannot_cross, caf::to_string(err));
      return;
    }
    message_view answer;
    answer.reply_to = request.request_id;
    answer.payload = encoded_.payloads();
    if (auto err = proto->add_message(answer))
      std::cerr << "protocol_peer: reply refused: " << caf::to_string(err) << "\n";
  }

  void counter(const message_view& msg, const caf::message& content) {
    if (content.match_elements<int64_t>())
      total_ += content.get_as<int64_t>(0);
    else if (content.match_elements<int32_t>())
      total_ += content.get_as<int32_t>(0);
    else if (content.empty())
      reply(msg, caf::make_message(total_));
  }

  void echo(const message_view& msg, const caf::message& content) {
    if (!content.match_elements<troupe::test::Ping>()) {
      reply(msg, content);
      return;
    }
    auto& ping = content.get_as<troupe::test::Ping>(0);
    troupe::test::Pong pong;
    pong.set_text(ping.text() + "!");
    pong.set_seq(ping.seq() + 1);
    reply(msg, caf::make_message(std::move(pong)));
  }

  void fail(const message_view& msg) {
    if (msg.request_id == 0)
      return;
    auto reason = to_error_fields(caf::make_error(caf::sec::runtime_error, "failed on purpose"));
    auto view = reason.view();
    message_view answer;
    answer.reply_to = msg.request_id;
    answer.error = &view;
    if (auto err = proto->add_message(answer))
      std::cerr << "protocol_peer: error reply refused: " << caf::to_string(err) << "\n";
  }

  void doom() {
    doomed_alive_ = false;
    auto reason = to_error_fields(caf::make_error(caf::exit_reason::user_shutdown));
    for (; doomed_monitors_ > 0; --doomed_monitors_)
      proto->send_down({0, "doomed"}, reason.view());
  }

  const troupe::net::type_registry& types_;
  encoded_message encoded_;
  int64_t total_ = 0;
  bool doomed_alive_ = true;
  int doomed_monitors_ = 0;
};

bool write_all(int fd, std::vector<char>& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  bytes.clear();
  return true;
}

int milliseconds_until(protocol_clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - protocol_clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 60'000));
}

/// Serves one connection until it closes or the protocol ends it.
void serve(int fd, const options& opts, const troupe::net::type_registry& types,
           replay_guard& guard) {
  protocol_config cfg;
  cfg.incarnation = static_cast<uint64_t>(::getpid()) << 16 | 0x7e57;
  cfg.secret = opts.secret;
  fake_actors actors{types};
  protocol proto{protocol::role::acceptor, cfg, actors, guard};
  actors.proto = &proto;
  proto.start(protocol_clock::now());
  std::vector<char> buf(64 * 1024);
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    auto ready = ::poll(&pfd, 1, milliseconds_until(proto.next_deadline()));
    if (ready < 0 && errno == EINTR)
      continue;
    bool alive = true;
    if (ready > 0) {
      auto n = ::read(fd, buf.data(), buf.size());
      if (n <= 0)
        return; // the peer closed (or the read failed): nothing more to answer
      alive = proto.consume({buf.data(), static_cast<size_t>(n)}, protocol_clock::now());
      proto.flush();
    } else {
      alive = proto.tick(protocol_clock::now());
    }
    if (!write_all(fd, proto.output()) || !alive || actors.over)
      return;
  }
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  if (!parse_options(argc, argv, opts)) {
    std::cerr << "usage: protocol_peer [--secret-file=F] [--connections=N]\n";
    return 2;
  }
  troupe::net::type_registry types;
  if (auto err = types.add_file(*troupe::test::Ping::descriptor()->file())) {
    std::cerr << "protocol_peer: " << caf::to_string(err) << "\n";
    return 1;
  }
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listener, 8) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("protocol_peer: listen");
    return 1;
  }
  std::cout << "listening 127.0.0.1:" << ntohs(addr.sin_port) << std::endl;
  replay_guard guard;
  for (int i = 0; i < opts.connections; ++i) {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) {
      std::perror("protocol_peer: accept");
      return 1;
    }
    serve(fd, opts, types, guard);
    ::close(fd);
  }
  ::close(listener);
  return 0;
}
