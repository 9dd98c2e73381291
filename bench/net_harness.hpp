#pragma once

/// What the two-process network benchmarks share: their options, the latency percentiles, the
/// give-up timer and the one JSON line each run prints (the fields bench/run.py reads).

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "measure.hpp"

namespace bench::net {

/// The options of a network benchmark run (`--key=value`).
struct options {
  /// `pair` (default): start the server as a child process, then run the client against it.
  /// `server`: listen, print `listening ENDPOINT`, serve until killed. `client`: needs `peer`.
  std::string role = "pair";
  /// `rtt` (round trips one at a time), `oneway` (a stream of messages, then an end marker
  /// answered with the count) or `stalled` (push messages to a peer that never reads).
  std::string case_name = "rtt";
  /// `tcp` or `unix`.
  std::string transport = "tcp";
  /// client: the server's endpoint, `127.0.0.1:PORT` or `unix:/path`.
  std::string peer;
  /// server: where to listen (default `127.0.0.1:0`, or a fresh path for unix).
  std::string listen;
  /// Round trips (rtt) or messages (oneway, stalled); 0 means the case's default.
  size_t n = 0;
  /// oneway: frames per write of the raw client (the floor writes many frames at once).
  size_t batch = 1024;
  /// oneway (troupe): who sends the stream, `actor` (a coroutine actor) or `main` (the main
  /// thread through `sys.send`, which waits for room in the node's send window).
  std::string sender = "actor";
  /// Seconds before the run gives up and reports a timeout.
  size_t timeout = 120;
  /// `--help` was given: print the usage and stop.
  bool help = false;
};

/// The options every network benchmark knows, for `--help`.
constexpr const char* options_help =
  "  --case=rtt|oneway|stalled  round trips, a one-way stream, or pushing at a frozen peer\n"
  "  --transport=tcp|unix       the socket kind (default tcp)\n"
  "  --n=N                      round trips or messages (default: rtt 20000, oneway 1000000,\n"
  "                             stalled 2000000)\n"
  "  --timeout=S                give up after S seconds (default 120; exit code 2)\n"
  "  --sender=actor|main        oneway, troupe: stream from a coroutine actor (default) or\n"
  "                             from main through sys.send (waits for room in the window)\n"
  "  --role=pair|server|client  pair (default) starts the server as a child process itself;\n"
  "                             server prints 'listening ENDPOINT'; client needs --peer\n"
  "  --peer=ENDPOINT            client: 127.0.0.1:PORT or unix:/path\n"
  "  --listen=ENDPOINT          server: where to listen (default 127.0.0.1:0)\n"
  "Prints one JSON line: rate, p50_us/p99_us (rtt), peak_rss_mib, peer_peak_rss_mib, ok.\n";

/// Parses all of `text` as a decimal number that fits `T`; false otherwise (nothing thrown).
template <class T> bool parse_number(std::string_view text, T& out) {
  auto end = text.data() + text.size();
  auto [at, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc{} && at == end;
}

/// Splits `host:port` at its last colon; false if there is none or the port is not a number
/// from 0 to 65535.
inline bool split_host_port(std::string_view endpoint, std::string& host, uint16_t& port) {
  auto colon = endpoint.rfind(':');
  if (colon == std::string_view::npos || !parse_number(endpoint.substr(colon + 1), port))
    return false;
  host = endpoint.substr(0, colon);
  return true;
}

/// The case's default size: what a full run of bench/run.py uses unless told otherwise.
inline size_t default_n(std::string_view case_name) {
  if (case_name == "rtt")
    return 20'000;
  if (case_name == "oneway")
    return 1'000'000;
  return 2'000'000; // stalled
}

/// Parses `--key=value` arguments into `opts`; arguments it does not know are appended to
/// `rest` (a CAF program hands them to its configuration). Returns an error text or "".
inline std::string parse(int argc, char** argv, options& opts, std::vector<std::string>& rest) {
  auto number = [](std::string_view text, size_t& out) { return parse_number(text, out); };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto eq = arg.find('=');
    auto key = arg.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view{} : arg.substr(eq + 1);
    bool ok = true;
    if (key == "--help" || key == "-h")
      opts.help = true;
    else if (key == "--role")
      opts.role = value;
    else if (key == "--case")
      opts.case_name = value;
    else if (key == "--transport")
      opts.transport = value;
    else if (key == "--sender")
      opts.sender = value;
    else if (key == "--peer")
      opts.peer = value;
    else if (key == "--listen")
      opts.listen = value;
    else if (key == "--n")
      ok = number(value, opts.n);
    else if (key == "--batch")
      ok = number(value, opts.batch) && opts.batch > 0;
    else if (key == "--timeout")
      ok = number(value, opts.timeout) && opts.timeout > 0;
    else
      rest.emplace_back(arg);
    if (!ok)
      return "bad value in '" + std::string{arg} + "'";
  }
  if (opts.role != "pair" && opts.role != "server" && opts.role != "client")
    return "--role must be pair, server or client";
  if (opts.case_name != "rtt" && opts.case_name != "oneway" && opts.case_name != "stalled")
    return "--case must be rtt, oneway or stalled";
  if (opts.sender != "actor" && opts.sender != "main")
    return "--sender must be actor or main";
  if (opts.transport != "tcp" && opts.transport != "unix")
    return "--transport must be tcp or unix";
  if (opts.role == "client" && opts.peer.empty())
    return "--role=client needs --peer=ENDPOINT";
  if (opts.n == 0)
    opts.n = default_n(opts.case_name);
  return "";
}

/// The round trips before the timed ones: a tenth of them, at most 1,000.
inline size_t warmup_rounds(size_t n) {
  return std::min<size_t>(n / 10, 1000);
}

/// Blocks the server's main thread for good: the launcher ends the process with SIGKILL.
[[noreturn]] inline void serve_until_killed() {
  for (;;)
    ::pause();
}

/// The outcome of one client run: what the JSON line reports.
struct result {
  /// Wall-clock seconds of the measured part.
  double seconds = 0;
  /// CPU seconds of the client process over the measured part.
  double cpu_seconds = 0;
  /// Work units (round trips or messages).
  double units = 0;
  /// What `units` counts, per second.
  std::string unit;
  /// rtt: median and 99th percentile of one round trip, in microseconds.
  double p50_us = 0;
  double p99_us = 0;
  /// The server's peak RSS in MiB (read by the launcher before it ends the server), or < 0.
  double peer_peak_rss_mib = -1;
  /// Empty if the result was checked and is right; otherwise what was wrong.
  std::string error;
  /// A short description of the check.
  std::string check;
};

/// Round-trip times of a run, in nanoseconds.
class latencies {
public:
  explicit latencies(size_t n) { samples_.reserve(n); }

  /// Records one round trip that started at `start`.
  void add(std::chrono::steady_clock::time_point start) {
    samples_.push_back(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
        .count());
  }

  size_t size() const { return samples_.size(); }

  /// Sets `res.p50_us` and `res.p99_us` (nearest-rank percentiles).
  void summarize(result& res) {
    if (samples_.empty())
      return;
    std::sort(samples_.begin(), samples_.end());
    auto at = [&](double q) {
      auto rank = static_cast<size_t>(q * static_cast<double>(samples_.size() - 1) + 0.5);
      return static_cast<double>(samples_[rank]) / 1000.0;
    };
    res.p50_us = at(0.50);
    res.p99_us = at(0.99);
  }

private:
  std::vector<int64_t> samples_;
};

/// What a client actor fills in while main waits for its report: the actor benchmarks' run.
struct actor_run {
  explicit actor_run(size_t n) : lat(n) {}
  latencies lat;
  double seconds = 0;
  double cpu_seconds = 0;
  /// rtt: good round trips; oneway: the count the server answered.
  int64_t count = 0;
  std::string error;

  /// The figures so far as a result counting `units` in `unit` (percentiles if rtt).
  result to_result(std::string unit, double units) {
    result res;
    res.unit = std::move(unit);
    res.units = units;
    res.seconds = seconds;
    res.cpu_seconds = cpu_seconds;
    res.error = error;
    lat.summarize(res);
    return res;
  }
};

/// The JSON line of a run. `settings` is a JSON object describing the implementation's settings.
inline std::string json_line(std::string_view impl, const options& opts, const result& res,
                             std::string_view settings, bool timed_out) {
  std::ostringstream out;
  out.precision(6);
  auto rate = res.seconds > 0 ? res.units / res.seconds : 0.0;
  out << "{\"impl\": " << json_string(impl) << ", \"case\": " << json_string(opts.case_name)
      << ", \"transport\": " << json_string(opts.transport) << ", \"n\": " << opts.n
      << ", \"seconds\": " << res.seconds << ", \"cpu_seconds\": " << res.cpu_seconds
      << ", \"rate\": " << std::fixed << rate << std::defaultfloat
      << ", \"unit\": " << json_string(res.unit)
      << ", \"units\": " << static_cast<int64_t>(res.units) << ", \"p50_us\": " << res.p50_us
      << ", \"p99_us\": " << res.p99_us << ", \"peak_rss_mib\": " << peak_rss_mib()
      << ", \"peer_peak_rss_mib\": " << res.peer_peak_rss_mib << ", \"settings\": " << settings
      << ", \"ok\": " << (res.error.empty() && !timed_out ? "true" : "false")
      << ", \"timed_out\": " << (timed_out ? "true" : "false")
      << ", \"check\": " << json_string(res.check) << ", \"error\": " << json_string(res.error)
      << "}\n";
  return out.str();
}

/// Prints the run's JSON line and returns the exit code: 0 if the result is right, 1 if not.
inline int report(std::string_view impl, const options& opts, const result& res,
                  std::string_view settings) {
  std::cout << json_line(impl, opts, res, settings, false) << std::flush;
  return res.error.empty() ? 0 : 1;
}

namespace detail {

/// The line written when the run gives up; prepared in advance (a signal handler cannot format).
inline std::string& timeout_line() {
  static std::string line;
  return line;
}

/// Files that a give-up must remove because `_exit` skips destructors: a Unix socket path and
/// then its directory (empty strings when unused). Set before the timer is armed.
inline std::string& give_up_socket() {
  static std::string path;
  return path;
}

inline std::string& give_up_dir() {
  static std::string path;
  return path;
}

inline void on_give_up(int) {
  const auto& line = timeout_line();
  [[maybe_unused]] auto written = ::write(STDOUT_FILENO, line.data(), line.size());
  if (!give_up_socket().empty()) // unlink and rmdir are async-signal-safe
    ::unlink(give_up_socket().c_str());
  if (!give_up_dir().empty())
    ::rmdir(give_up_dir().c_str());
  ::_exit(2);
}

} // namespace detail

/// Makes the process print a timed-out JSON line and exit with code 2 after `opts.timeout`
/// seconds: a hung peer ends the run instead of blocking it (the server child dies with it).
inline void give_up_after_timeout(std::string_view impl, const options& opts,
                                  std::string_view settings) {
  result res;
  res.error = "no result within " + std::to_string(opts.timeout) + " s";
  detail::timeout_line() = json_line(impl, opts, res, settings, true);
  ::signal(SIGALRM, detail::on_give_up);
  ::alarm(static_cast<unsigned>(opts.timeout));
}

} // namespace bench::net
