/// The floors of the network benchmarks: two processes talking over a raw TCP or Unix socket
/// with troupe's framing (4-byte big-endian length + a serialized Protobuf message, here a
/// google.protobuf.Int64Value sequence number), with simple blocking I/O.
///
///   bench_net_raw --case=rtt|oneway --transport=tcp|unix [--n=N] [--batch=FRAMES_PER_WRITE]
///
/// rtt: one frame out, one back (value + 1), n times; reports p50/p99 and round trips/s.
/// oneway: n frames, `--batch` per write, then an end marker (-1); the server parses many frames
/// per read, checks the order and answers the count; reports messages/s.

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <google/protobuf/wrappers.pb.h>

#include "net_harness.hpp"
#include "peer_process.hpp"
#include "raw_socket.hpp"

namespace {

using namespace bench::net;
using clock_type = std::chrono::steady_clock;

/// Marks the end of a one-way stream.
constexpr int64_t end_marker = -1;

std::string settings_of(const options& opts) {
  return "{\"transport\": \"" + opts.transport + "\", \"frames-per-write\": " +
         std::to_string(opts.case_name == "oneway" ? opts.batch : 1) + "}";
}

bool send_value(const socket_fd& fd, int64_t value, std::string& buf) {
  google::protobuf::Int64Value msg;
  msg.set_value(value);
  buf.clear();
  append_frame(buf, msg);
  return write_all(fd, buf);
}

/// Reads the next frame as an Int64Value; false at the end of the stream or on a bad frame.
bool receive_value(frame_reader& reader, int64_t& value) {
  google::protobuf::Int64Value msg;
  bool parsed = false;
  auto got = reader.next([&](const char* data, size_t size) {
    parsed = msg.ParseFromArray(data, static_cast<int>(size));
    return false; // one frame only
  });
  value = msg.value();
  return got && parsed;
}

/// Serves one connection: echoes value + 1 (rtt), or counts an in-order stream and answers the
/// count at the end marker (oneway; the count is negative at the first out-of-order value).
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
  google::protobuf::Int64Value msg;
  std::string out;
  int64_t expected = 1;
  int64_t count = 0;
  bool in_order = true;
  bool ok = true;
  while (ok && reader.next([&](const char* data, size_t size) {
    if (!msg.ParseFromArray(data, static_cast<int>(size)))
      return ok = false;
    auto value = msg.value();
    if (opts.case_name == "rtt")
      return ok = send_value(conn, value + 1, out);
    if (value == end_marker)
      return ok = send_value(conn, in_order ? count : -(count + 1), out);
    in_order = in_order && value == expected;
    ++expected;
    ++count;
    return true;
  })) {
  }
  return 0;
}

result round_trips(const options& opts, const socket_fd& fd) {
  result res;
  res.unit = "round trips/s";
  frame_reader reader{fd};
  std::string buf;
  auto warmup = warmup_rounds(opts.n);
  latencies lat{opts.n};
  int64_t answered = 0;
  int64_t value = 0;
  bench::stopwatch clock;
  for (size_t i = 0; i < warmup + opts.n; ++i) {
    if (i == warmup)
      clock = bench::stopwatch{};
    auto start = clock_type::now();
    auto seq = static_cast<int64_t>(i) + 1;
    if (!send_value(fd, seq, buf) || !receive_value(reader, value)) {
      res.error = "connection lost after " + std::to_string(i) + " round trips";
      return res;
    }
    if (value != seq + 1) {
      res.error = "round trip " + std::to_string(seq) + " answered " + std::to_string(value);
      return res;
    }
    if (i >= warmup) {
      lat.add(start);
      ++answered;
    }
  }
  clock.stop(res);
  res.units = static_cast<double>(answered);
  lat.summarize(res);
  bench::expect_equal(res, "round_trips", answered, static_cast<int64_t>(opts.n));
  return res;
}

result one_way(const options& opts, const socket_fd& fd) {
  result res;
  res.unit = "msgs/s";
  frame_reader reader{fd};
  std::string buf;
  google::protobuf::Int64Value msg;
  bench::stopwatch clock;
  for (size_t sent = 0; sent < opts.n;) {
    buf.clear();
    for (size_t k = 0; k < opts.batch && sent < opts.n; ++k) {
      msg.set_value(static_cast<int64_t>(++sent));
      append_frame(buf, msg);
    }
    if (!write_all(fd, buf)) {
      res.error = "connection lost after " + std::to_string(sent) + " messages";
      return res;
    }
  }
  int64_t count = 0;
  if (!send_value(fd, end_marker, buf) || !receive_value(reader, count)) {
    res.error = "no count from the server";
    return res;
  }
  clock.stop(res);
  res.units = static_cast<double>(opts.n);
  bench::expect_equal(res, "received_in_order", count, static_cast<int64_t>(opts.n));
  return res;
}

int run_client(const options& opts, peer_process* peer) {
  std::string err;
  auto fd = connect_to(opts.peer, err);
  result res;
  if (!fd)
    res.error = err;
  else if (opts.case_name == "rtt")
    res = round_trips(opts, fd);
  else
    res = one_way(opts, fd);
  if (peer != nullptr)
    res.peer_peak_rss_mib = peer->peak_rss_mib();
  return report("raw-" + opts.transport, opts, res, settings_of(opts));
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
  give_up_after_timeout("raw-" + opts.transport, opts, settings_of(opts));
  if (opts.role == "client")
    return run_client(opts, nullptr);
  peer_process peer;
  temp_dir dir;
  if (auto failed = start_server(rest, opts, peer, dir); !failed.empty()) {
    std::cerr << "error: " << failed << "\n";
    return 1;
  }
  return run_client(opts, &peer);
}
