#pragma once

/// The client of the raw network cases: a blocking socket that writes troupe's framing, against
/// a server that is either a blocking socket too (bench_net_raw, the floor) or a CAF broker on
/// the middleman's I/O thread (bench_net_broker).

#include <chrono>
#include <cstdint>
#include <string>

#include <google/protobuf/wrappers.pb.h>

#include "frames.hpp"
#include "net_harness.hpp"
#include "peer_process.hpp"
#include "raw_socket.hpp"

namespace bench::net::raw_client {

/// The settings object of a raw client's JSON line.
inline std::string settings_of(const options& opts) {
  return "{\"transport\": \"" + opts.transport + "\", \"frames-per-write\": " +
         std::to_string(opts.case_name == "oneway" ? opts.batch : 1) + "}";
}

inline bool send_value(const socket_fd& fd, int64_t value, std::string& buf) {
  buf.clear();
  append_value(buf, value);
  return write_all(fd, buf);
}

/// Reads the next frame as an Int64Value; false at the end of the stream or on a bad frame.
inline bool receive_value(frame_reader& reader, int64_t& value) {
  google::protobuf::Int64Value msg;
  bool parsed = false;
  auto got = reader.next([&](const char* data, size_t size) {
    parsed = msg.ParseFromArray(data, static_cast<int>(size));
    return false; // one frame only
  });
  value = msg.value();
  return got && parsed;
}

/// rtt: one frame out, one back (value + 1), n times after a warm-up.
inline result round_trips(const options& opts, const socket_fd& fd) {
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
    auto start = std::chrono::steady_clock::now();
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

/// oneway: n frames, `opts.batch` per write, then the end marker answered with the count.
inline result one_way(const options& opts, const socket_fd& fd) {
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

/// Connects to `opts.peer`, runs the case and prints the JSON line as `impl`; returns the exit
/// code. `peer` (the server child of a pair run, or null) is read for its peak RSS.
inline int run(std::string_view impl, const options& opts, peer_process* peer) {
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
  return report(impl, opts, res, settings_of(opts));
}

} // namespace bench::net::raw_client
