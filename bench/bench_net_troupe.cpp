/// troupe's network layer between two processes: two troupe systems with `troupe::net`
/// enabled, talking over TCP or a Unix socket, with troupe's defaults.
///
///   bench_net_troupe --case=rtt|oneway|stalled --transport=tcp|unix [--n=N] [troupe/CAF options]
///
/// The server node registers "echo" (answers an int64 with value + 1) or "counter" (counts an
/// in-order int64 stream, answers the request "end" with the count). rtt: a coroutine actor
/// awaits `request<int64_t>(echo, ...)` n times, one at a time, on a handle from
/// `sys.lookup("echo@ENDPOINT")`. oneway: a coroutine actor sends 1..n to the counter's handle,
/// then requests "end" (`--sender=main`: main sends by address, waiting for room). stalled: after
/// one request is answered the server is frozen (SIGSTOP) and main sends to "counter@ENDPOINT"
/// until n messages are taken or the node refuses one
/// (`overloaded` after waiting `troupe.net.send-timeout` for room, or `node_down` once the
/// frozen peer's heartbeats are missed); the figure is the sender's peak RSS.

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include <troupe/net/net.hpp>
#include <troupe/troupe.hpp>

#include "harness.hpp"
#include "net_actors.hpp"
#include "net_harness.hpp"
#include "peer_process.hpp"

namespace {

using bench::net::options;
using bench::net::result;
using clock_type = std::chrono::steady_clock;
using troupe::co_actor;
using troupe::task;
using namespace std::chrono_literals;

/// How long one request may take before the run counts it as failed.
constexpr auto patience = 30s;

std::string impl_name(const options& opts) {
  return "troupe-" + opts.transport + (opts.sender == "main" ? "-main" : "");
}

int serve(troupe::system& sys, const options& opts) {
  auto* node = troupe::net::node_of(sys);
  auto bound = node->listen(opts.listen.empty() ? std::string{"127.0.0.1:0"} : opts.listen);
  if (!bound) {
    std::cerr << "error: cannot listen: " << caf::to_string(bound.error()) << "\n";
    return 1;
  }
  auto name = opts.case_name == "rtt" ? "echo" : "counter";
  auto actor = opts.case_name == "rtt" ? sys.engine().spawn(bench::net::echo_actor, int64_t{1})
                                       : sys.engine().spawn(bench::net::counter_actor, int64_t{1});
  if (auto err = sys.register_name(name, actor)) {
    std::cerr << "error: cannot register " << name << "\n";
    return 1;
  }
  std::cout << "listening " << *bound << std::endl;
  bench::net::serve_until_killed();
}

/// rtt: n round trips after a warm-up, each timed.
task ping(co_actor& self, caf::actor main, caf::actor echo, size_t n,
          std::shared_ptr<bench::net::actor_run> run) {
  auto warmup = bench::net::warmup_rounds(n);
  bench::stopwatch clock;
  for (size_t i = 0; i < warmup + n; ++i) {
    if (i == warmup)
      clock = bench::stopwatch{};
    auto start = clock_type::now();
    auto seq = static_cast<int64_t>(i) + 1;
    auto answer = co_await self.request<int64_t>(echo, patience, seq);
    if (!answer || *answer != seq + 1) {
      run->error = "round trip " + std::to_string(seq) + " failed: " +
                   (answer ? std::to_string(*answer) : caf::to_string(answer.error()));
      break;
    }
    if (i >= warmup) {
      run->lat.add(start);
      ++run->count;
    }
  }
  clock.stop(*run);
  self.send(main, caf::ok_atom::value);
}

/// oneway: 1..n with `send_paced` (the coroutine waits while the node's send window is full),
/// then the request "end" answered with the count received in order. A message the sender's
/// node refused anyway comes back as an error message: they are counted afterwards, so that a
/// refusal is reported as such rather than as a short count.
task stream(co_actor& self, caf::actor main, caf::actor counter, size_t n,
            std::shared_ptr<bench::net::actor_run> run) {
  bench::stopwatch clock;
  for (size_t i = 1; i <= n; ++i) {
    if (auto err = co_await self.send_paced(counter, static_cast<int64_t>(i))) {
      run->error = "message " + std::to_string(i) + " not sent: " + caf::to_string(err);
      break;
    }
  }
  auto count = co_await self.request<int64_t>(counter, patience, bench::net::end_of_stream);
  clock.stop(*run);
  if (count)
    run->count = *count;
  else
    run->error = "end marker failed: " + caf::to_string(count.error());
  size_t refused = 0;
  caf::error first;
  while (auto err = co_await self.receive<caf::error>(std::chrono::milliseconds{0})) {
    if (refused++ == 0)
      first = *err;
  }
  if (refused > 0)
    run->error = std::to_string(refused) + " of " + std::to_string(n) +
                 " messages were refused by the sender's node, the first with " +
                 caf::to_string(first) + (run->error.empty() ? "" : "; " + run->error);
  self.send(main, caf::ok_atom::value);
}

/// Runs `body` as a coroutine actor against the server's `name` and waits for its report;
/// false (with `run->error` set) if the name cannot be looked up.
template <class Body>
bool run_actor(troupe::system& sys, const options& opts, std::string_view name, Body body,
               std::shared_ptr<bench::net::actor_run> run) {
  auto target = sys.lookup(std::string{name} + "@" + opts.peer);
  if (!target) {
    run->error = "lookup of " + std::string{name} + "@" + opts.peer +
                 " failed: " + caf::to_string(target.error());
    return false;
  }
  caf::scoped_actor main{sys.engine()}; // gone before the system's shutdown
  sys.spawn(body, caf::actor{main}, *target, opts.n, run);
  main->receive([](caf::ok_atom) {});
  return true;
}

result round_trips(troupe::system& sys, const options& opts) {
  auto run = std::make_shared<bench::net::actor_run>(opts.n);
  run_actor(sys, opts, "echo", ping, run);
  auto res = run->to_result("round trips/s", static_cast<double>(run->count));
  bench::expect_equal(res, "round_trips", run->count, static_cast<int64_t>(opts.n));
  return res;
}

result one_way(troupe::system& sys, const options& opts) {
  auto run = std::make_shared<bench::net::actor_run>(0);
  run_actor(sys, opts, "counter", stream, run);
  auto res = run->to_result("msgs/s", static_cast<double>(opts.n));
  bench::expect_equal(res, "received_in_order", run->count, static_cast<int64_t>(opts.n));
  return res;
}

/// oneway with `--sender=main`: main sends by address, which waits for room in the node's
/// window (`troupe.net.send-timeout`), then requests "end" with the blocking `sys.request`.
result one_way_from_main(troupe::system& sys, const options& opts) {
  result res;
  res.unit = "msgs/s";
  auto counter = "counter@" + opts.peer;
  bench::stopwatch clock;
  for (size_t i = 1; i <= opts.n; ++i) {
    if (auto err = sys.send(counter, static_cast<int64_t>(i))) {
      res.error = "message " + std::to_string(i) + " refused: " + caf::to_string(err);
      return res;
    }
  }
  auto count = sys.request<int64_t>(counter, patience, bench::net::end_of_stream);
  clock.stop(res);
  res.units = static_cast<double>(opts.n);
  if (!count)
    res.error = "end marker failed: " + caf::to_string(count.error());
  bench::expect_equal(res, "received_in_order", count ? *count : 0, static_cast<int64_t>(opts.n));
  return res;
}

result stalled(troupe::system& sys, const options& opts, bench::net::peer_process* peer) {
  result res;
  res.unit = "msgs/s";
  if (peer == nullptr) {
    res.error = "the stalled case needs --role=pair (it freezes its own server)";
    return res;
  }
  auto counter = "counter@" + opts.peer;
  auto before = sys.request<int64_t>(counter, patience, bench::net::end_of_stream);
  if (!before) {
    res.error = "the request before the stall failed: " + caf::to_string(before.error());
    return res;
  }
  peer->stop();
  bench::stopwatch clock;
  int64_t taken = 0;
  caf::error refused;
  for (size_t i = 1; i <= opts.n && !refused; ++i) {
    refused = sys.send(counter, static_cast<int64_t>(i));
    if (!refused)
      ++taken;
  }
  clock.stop(res);
  res.units = static_cast<double>(taken);
  bench::expect_equal(res, "count_before_stall", *before, 0);
  res.check += ", taken=" + std::to_string(taken) +
               (refused ? ", then refused: " + caf::to_string(refused) : "");
  return res;
}

int run_client(troupe::system& sys, const options& opts, bench::net::peer_process* peer) {
  auto settings = bench::settings_json(sys.engine());
  result res;
  if (opts.case_name == "rtt")
    res = round_trips(sys, opts);
  else if (opts.case_name == "oneway")
    res = opts.sender == "main" ? one_way_from_main(sys, opts) : one_way(sys, opts);
  else
    res = stalled(sys, opts, peer);
  if (peer != nullptr) {
    res.peer_peak_rss_mib = peer->peak_rss_mib();
    peer->kill(); // a frozen peer must not hold up the shutdown
  }
  return bench::net::report(impl_name(opts), opts, res, settings);
}

int run(const options& opts, const std::vector<std::string>& rest, bench::net::peer_process* peer) {
  troupe::config cfg;
  troupe::net::enable(cfg);
  if (auto stop = bench::parse_engine_options(cfg, rest))
    return *stop;
  troupe::system sys{cfg};
  if (opts.role == "server")
    return serve(sys, opts);
  bench::net::give_up_after_timeout(impl_name(opts), opts, bench::settings_json(sys.engine()));
  auto code = run_client(sys, opts, peer);
  sys.shutdown();
  return code;
}

} // namespace

int main(int argc, char** argv) {
  return bench::net::actor_bench_main(
    argc, argv, "bench_net_troupe: troupe nodes between two processes, with troupe's defaults", "",
    run);
}
