/// CAF's I/O layer against a dedicated thread: the raw cases with the server written as a CAF
/// broker on the middleman's I/O thread (the multiplexer troupe's nodes run on) instead of a
/// blocking socket thread; the client is the floor's blocking client.
///
///   bench_net_broker --case=rtt|oneway --transport=tcp|unix [--n=N] [--batch=K]
///
/// The broker reads with `receive_policy::at_most(64 KiB)`, handles every whole frame of each
/// read (frame_server, as the floor's server does) and writes the replies of that read at once.
/// Its round trip over the floor's is what CAF's I/O layer costs by itself, without any hop to
/// a worker thread: if it were far above the floor, a dedicated I/O thread would be the better
/// base for troupe's network layer.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "frames.hpp"
#include "harness.hpp"
#include "net_harness.hpp"
#include "peer_process.hpp"
#include "raw_client.hpp"
#include "raw_socket.hpp"

namespace {

using namespace bench::net;

std::string impl_name(const options& opts) {
  return "broker-" + opts.transport;
}

/// A broker serving one connection on the listening socket `fd` with `frame_server`.
caf::behavior frame_broker(caf::io::broker* self, int fd, bool round_trips) {
  struct state {
    explicit state(bool round_trips) : server(round_trips) {}
    frame_buffer in;
    frame_server server;
    std::string out;
  };
  auto st = std::make_shared<state>(round_trips);
  self->add_doorman(fd);
  return {
    [=](const caf::io::new_connection_msg& msg) {
      self->configure_read(msg.handle, caf::io::receive_policy::at_most(64 * 1024));
    },
    [=](const caf::io::new_data_msg& msg) {
      st->in.append(msg.buf.data(), msg.buf.size());
      bool ok = true;
      auto taken = st->in.take_frames([&](const char* data, size_t size) {
        return ok = st->server.on_frame(data, size, st->out);
      });
      if (taken < 0 || !ok) {
        std::cerr << "error: a malformed frame; closing\n";
        self->quit();
        return;
      }
      if (st->out.empty())
        return;
      auto& buf = self->wr_buf(msg.handle);
      buf.insert(buf.end(), st->out.begin(), st->out.end());
      st->out.clear();
      self->flush(msg.handle);
    },
    [=](const caf::io::connection_closed_msg&) { self->quit(); },
    [=](const caf::io::acceptor_closed_msg&) { self->quit(); },
  };
}

int serve(const options& opts, const std::vector<std::string>& rest) {
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  if (auto stop = bench::parse_engine_options(cfg, rest))
    return *stop;
  caf::actor_system sys{cfg};
  std::string bound;
  std::string err;
  auto listener = listen_on(opts.listen.empty() ? "127.0.0.1:0" : opts.listen, bound, err);
  if (!listener) {
    std::cerr << "error: " << err << "\n";
    return 1;
  }
  sys.middleman().spawn_broker(frame_broker, listener.release(), opts.case_name == "rtt");
  std::cout << "listening " << bound << std::endl;
  serve_until_killed();
}

/// The server, or the floor's client (the engine's options in `rest` are the server's).
int run(const options& opts, const std::vector<std::string>& rest, peer_process* peer) {
  if (opts.case_name == "stalled") {
    std::cerr << "error: the broker has no stalled case\n";
    return 64;
  }
  if (opts.role == "server" || opts.help)
    return serve(opts, rest);
  give_up_after_timeout(impl_name(opts), opts, raw_client::settings_of(opts));
  return raw_client::run(impl_name(opts), opts, peer);
}

} // namespace

int main(int argc, char** argv) {
  return actor_bench_main(
    argc, argv, "bench_net_broker: the raw cases with a CAF broker as the server", "", run);
}
