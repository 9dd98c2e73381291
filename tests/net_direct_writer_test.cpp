// The direct writer on its own, over a socket pair: when a sender may write to the socket, what
// it writes (exactly the frame the protocol would), and how a partial write, a busy broker, a
// refused message and a broken or closed socket are handled.

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <google/protobuf/wrappers.pb.h>

#include "direct_writer.hpp"
#include "troupe/net/error.hpp"
#include "troupe/wire.pb.h"

using namespace std::chrono_literals;
using troupe::net::detail::broker_write_state;
using troupe::net::detail::direct_writer;
using troupe::net::detail::message_view;
using troupe::net::detail::payload_view;

namespace {

constexpr std::string_view string_url = "type.googleapis.com/google.protobuf.StringValue";

/// A connected pair of Unix stream sockets; `ours` is the writer's, `theirs` the peer's.
struct socket_pair {
  socket_pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    ours = fds[0];
    theirs = fds[1];
  }
  ~socket_pair() {
    if (ours >= 0)
      ::close(ours);
    if (theirs >= 0)
      ::close(theirs);
  }
  socket_pair(const socket_pair&) = delete;
  socket_pair& operator=(const socket_pair&) = delete;

  /// Everything the peer can read now (without waiting).
  std::string read_available() const {
    std::string result;
    char buf[64 * 1024];
    for (;;) {
      auto n = ::recv(theirs, buf, sizeof(buf), MSG_DONTWAIT);
      if (n <= 0)
        return result;
      result.append(buf, static_cast<size_t>(n));
    }
  }

  int ours = -1;
  int theirs = -1;
};

/// A message for the actor named `name` on the peer whose payload is one StringValue `text`;
/// it converts to the view the writer takes (valid while it lives).
struct message_to {
  message_to(std::string target, const std::string& text, uint64_t request = 0)
      : name(std::move(target)), request_id(request) {
    google::protobuf::StringValue value;
    value.set_value(text);
    bytes = value.SerializeAsString();
  }

  operator message_view() {
    payload = payload_view{string_url, bytes};
    message_view msg;
    msg.target.name = name;
    msg.request_id = request_id;
    msg.sender_id = request_id != 0 ? 7 : 0;
    msg.payload = std::span<const payload_view>{&payload, 1};
    return msg;
  }

  std::string name;
  uint64_t request_id;
  std::string bytes;
  payload_view payload;
};

/// The broker's report for an idle, established connection on `fd`.
broker_write_state idle_on(int fd) {
  broker_write_state st;
  st.fd = fd;
  st.open = true;
  st.send_limit = 16 * 1024 * 1024;
  return st;
}

/// Reports `st` to `writer` with nothing of the broker's to write; returns what the broker
/// would hand to CAF (the rest of a partial direct write, if any).
std::vector<char> report(direct_writer& writer, const broker_write_state& st) {
  std::vector<char> out;
  writer.sync(st, out);
  return out;
}

/// Parses `bytes` as exactly one frame (length prefix and body); fails the test otherwise.
troupe::wire::Frame one_frame(const std::string& bytes) {
  REQUIRE(bytes.size() >= 4);
  auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  uint32_t n = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  REQUIRE(bytes.size() == 4 + size_t{n});
  troupe::wire::Frame frame;
  REQUIRE(frame.ParseFromArray(bytes.data() + 4, static_cast<int>(n)));
  return frame;
}

/// The StringValue carried by the only message of `frame`'s batch, addressed to `name`.
std::string only_text(const troupe::wire::Frame& frame, const std::string& name) {
  REQUIRE(frame.has_batch());
  const auto& batch = frame.batch();
  REQUIRE(batch.messages_size() == 1);
  REQUIRE(batch.target_names_size() == 1);
  CHECK(batch.target_names(0) == name);
  REQUIRE(batch.type_urls_size() == 1);
  CHECK(batch.type_urls(0) == string_url);
  const auto& msg = batch.messages(0);
  CHECK(msg.target_name() == 1);
  REQUIRE(msg.payload_size() == 1);
  google::protobuf::StringValue value;
  REQUIRE(value.ParseFromString(msg.payload(0).value()));
  return value.value();
}

} // namespace

TEST_CASE("direct: nothing is written before the broker opens the connection") {
  socket_pair sp;
  direct_writer writer;
  writer.arm();
  CHECK(!writer.may_write()); // closed until the handshake is done
  auto st = idle_on(sp.ours);
  st.open = false; // e.g. still in the handshake
  CHECK(report(writer, st).empty());
  CHECK(!writer.may_write());
  CHECK(report(writer, idle_on(sp.ours)).empty());
  CHECK(writer.may_write());
}

TEST_CASE("direct: an idle connection gets the message as one frame of its own") {
  socket_pair sp;
  direct_writer writer;
  report(writer, idle_on(sp.ours));
  writer.arm();
  REQUIRE(writer.may_write());
  auto done = writer.write(message_to("echo", "hello", 42));
  REQUIRE(done);
  CHECK(*done == direct_writer::outcome::written);
  auto frame = one_frame(sp.read_available());
  CHECK(only_text(frame, "echo") == "hello");
  CHECK(frame.batch().messages(0).request_id() == 42);
  REQUIRE(frame.batch().sender_ids_size() == 1);
  CHECK(frame.batch().sender_ids(0) == 7);
  CHECK(writer.writes() == 1);
  CHECK(writer.partial_writes() == 0);
}

TEST_CASE("direct: bytes the broker has not written yet hold direct writes back") {
  socket_pair sp;
  direct_writer writer;
  writer.arm();
  auto busy = idle_on(sp.ours);
  busy.unwritten = 100;
  CHECK(report(writer, busy).empty());
  CHECK(!writer.may_write());
  CHECK(report(writer, idle_on(sp.ours)).empty()); // CAF reported everything written
  CHECK(writer.may_write());
  writer.mark_busy(); // the broker took the queue
  CHECK(!writer.may_write());
}

TEST_CASE("direct: without credit a stream waits for the quiet period, the peer re-arms") {
  socket_pair sp;
  direct_writer writer{1h};
  report(writer, idle_on(sp.ours));
  writer.arm();
  REQUIRE(writer.may_write());
  REQUIRE(writer.write(message_to("sink", "one")));
  CHECK(!writer.may_write()); // the credit is spent and the last write is recent: queue
  writer.arm();               // bytes arrived from the peer
  CHECK(writer.may_write());
}

TEST_CASE("direct: the rest of a partial write goes to the broker and completes the frame") {
  socket_pair sp;
  int small = 4096;
  ::setsockopt(sp.ours, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  direct_writer writer;
  report(writer, idle_on(sp.ours));
  writer.arm();
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  auto done = writer.write(message_to("sink", big));
  REQUIRE(done);
  REQUIRE(*done == direct_writer::outcome::rest_to_broker);
  CHECK(writer.partial_writes() == 1);
  CHECK(!writer.may_write()); // nothing may follow before the rest
  auto written = sp.read_available();
  CHECK(!written.empty());
  // The broker's next write (here a heartbeat's bytes) gets the rest in front of its own; the
  // writer stays busy while the broker writes them.
  const std::string heartbeat{"\0\0\0\2\x32\0", 6};
  std::vector<char> out{heartbeat.begin(), heartbeat.end()};
  writer.sync(idle_on(sp.ours), out);
  CHECK(!writer.may_write());
  std::string broker_bytes{out.begin(), out.end()};
  REQUIRE(broker_bytes.size() > heartbeat.size());
  CHECK(broker_bytes.ends_with(heartbeat));
  broker_bytes.resize(broker_bytes.size() - heartbeat.size());
  CHECK(report(writer, idle_on(sp.ours)).empty()); // taken once
  writer.arm();
  CHECK(writer.may_write()); // the broker is idle again
  auto frame = one_frame(written + broker_bytes);
  CHECK(only_text(frame, "sink") == big);
}

TEST_CASE("direct: a message the peer would refuse fails and nothing is written") {
  socket_pair sp;
  direct_writer writer;
  auto st = idle_on(sp.ours);
  st.send_limit = 64 * 1024; // the peer's frame limit
  report(writer, st);
  writer.arm();
  auto done = writer.write(message_to("sink", std::string(100 * 1024, 'x')));
  REQUIRE(!done);
  CHECK(done.error() == troupe::net::make_error(troupe::net::error_code::frame_too_large));
  CHECK(sp.read_available().empty());
  CHECK(writer.writes() == 0);
  CHECK(writer.may_write()); // the connection is as idle as before
}

TEST_CASE("direct: a full socket queues the message, a broken one ends direct writes") {
  socket_pair sp;
  direct_writer writer;
  report(writer, idle_on(sp.ours));
  // Fill the socket until it takes nothing more.
  ::fcntl(sp.ours, F_SETFL, ::fcntl(sp.ours, F_GETFL) | O_NONBLOCK);
  std::string filler(64 * 1024, 'f');
  while (::send(sp.ours, filler.data(), filler.size(), MSG_DONTWAIT) > 0) {
  }
  writer.arm();
  auto full = writer.write(message_to("sink", "x"));
  REQUIRE(full);
  CHECK(*full == direct_writer::outcome::queue_it);
  CHECK(writer.writes() == 0);
  // The peer goes away: the write fails, the writer closes for good.
  ::close(sp.theirs);
  sp.theirs = -1;
  writer.arm();
  REQUIRE(writer.may_write());
  auto broken = writer.write(message_to("sink", "y"));
  REQUIRE(broken);
  CHECK(*broken == direct_writer::outcome::queue_it);
  CHECK(!writer.may_write());
  report(writer, idle_on(sp.ours));
  writer.arm();
  CHECK(!writer.may_write());
}

TEST_CASE("direct: a closed writer never writes again") {
  socket_pair sp;
  direct_writer writer;
  report(writer, idle_on(sp.ours));
  writer.arm();
  REQUIRE(writer.may_write());
  writer.close();
  CHECK(!writer.may_write());
  CHECK(report(writer, idle_on(sp.ours)).empty());
  writer.arm();
  CHECK(!writer.may_write());
}
