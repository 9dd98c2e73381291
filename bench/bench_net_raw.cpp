/// The floors of the network benchmarks: two processes talking over a raw TCP or Unix socket
/// with troupe's framing (4-byte big-endian length + a serialized Protobuf message, here a
/// google.protobuf.Int64Value sequence number), with simple blocking I/O.
///
///   bench_net_raw --case=rtt|oneway --transport=tcp|unix [--n=N] [--batch=FRAMES_PER_WRITE]
///
/// rtt: one frame out, one back (value + 1), n times; reports p50/p99 and round trips/s.
/// oneway: n frames, `--batch` per write, then an end marker (-1); the server parses many frames
/// per read, checks the order and answers the count; reports messages/s.

#include <iostream>
#include <string>
#include <vector>

#include "frames.hpp"
#include "net_harness.hpp"
#include "peer_process.hpp"
#include "raw_client.hpp"
#include "raw_socket.hpp"

namespace {

using namespace bench::net;

/// Serves one connection with `frame_server`: every whole frame of each read is handled, and
/// the replies of that read are written at once.
int serve(const options& opts) {
  std::string bound;
  std::string err;
  auto listen = opts.listen.empty() ? std::string{"127.0.0.1:0"} : opts.listen;
  auto listener = listen_on(listen, bound, err);
  if (!listener) {
    std::cerr << "error: " << err << "\n";
    return 1;
  }
  std::cout << "listening " << bound << std::endl;
  auto conn = accept_one(listener);
  if (!conn)
    return 1;
  frame_reader reader{conn};
  frame_server server{opts.case_name == "rtt"};
  std::string out;
  bool ok = true;
  while (ok && reader.next([&](const char* data, size_t size) {
    return ok = server.on_frame(data, size, out);
  })) {
    if (!out.empty()) {
      ok = write_all(conn, out);
      out.clear();
    }
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  std::vector<std::string> rest;
  auto err = parse(argc, argv, opts, rest);
  if (err.empty() && !rest.empty())
    err = "unknown option '" + rest.front() + "'";
  if (err.empty() && opts.case_name == "stalled")
    err = "the raw floors have no stalled case (a blocking writer just blocks)";
  if (!err.empty()) {
    std::cerr << "error: " << err << "\n";
    return 64;
  }
  if (opts.help) {
    std::cout << "bench_net_raw: the floor, raw TCP/Unix sockets with troupe's framing\n"
              << options_help << "  --batch=K                  oneway: frames per write (1024)\n";
    return 0;
  }
  if (opts.role == "server")
    return serve(opts);
  give_up_after_timeout("raw-" + opts.transport, opts, raw_client::settings_of(opts));
  if (opts.role == "client")
    return raw_client::run("raw-" + opts.transport, opts, nullptr);
  peer_process peer;
  temp_dir dir;
  if (auto failed = start_server(rest, opts, peer, dir); !failed.empty()) {
    std::cerr << "error: " << failed << "\n";
    return 1;
  }
  return raw_client::run("raw-" + opts.transport, opts, &peer);
}
