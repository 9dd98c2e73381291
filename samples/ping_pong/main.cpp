// Round trips of a Protobuf message between two processes: a server that answers every Ping with
// a Pong, and a client that makes N round trips and prints their rate and latency percentiles.
// Run with --help for the options.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <future>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include <troupe/net/net.hpp>
#include <troupe/protobuf.hpp>
#include <troupe/troupe.hpp>

#include "ping_pong.pb.h"

namespace {

using namespace std::chrono_literals;
using troupe::samples::Ping;
using troupe::samples::Pong;

constexpr const char* description =
  "ping_pong: round trips of a Protobuf message between two processes.\n"
  "The server registers the actor 'pong', which answers every troupe.samples.Ping with a\n"
  "Pong of the same number; it prints \"listening on ENDPOINT\" and serves until SIGINT or\n"
  "SIGTERM, then prints how many round trips it served. The client makes N round trips to\n"
  "pong@ENDPOINT one after another and prints round trips/s and the p50 and p99 latency; it\n"
  "exits with status 1 and the error when the server dies or freezes (within the heartbeat\n"
  "bound, 4 s by default).\n"
  "\n"
  "usage: ping_pong --role=server [--listen=ENDPOINT] [--secret-file=F]\n"
  "       ping_pong --role=client --peer=ENDPOINT [--n=N] [--secret-file=F]\n"
  "ENDPOINT: 127.0.0.1:PORT (port 0: the OS chooses) or unix:/path\n"
  "To see the client fail, --die-after=K or --freeze-after=K make the server kill (SIGKILL)\n"
  "or stop (SIGSTOP) itself when Ping K+1 arrives, after answering K.\n"
  "\n";

/// The sample's options, parsed by CAF from the command line or a config file.
struct ping_pong_config : troupe::config {
  std::string role;
  std::string listen = "127.0.0.1:0";
  std::string peer;
  int64_t n = 10000;
  std::string secret_file;
  int64_t die_after = -1;
  int64_t freeze_after = -1;

  ping_pong_config() {
    opt_group{custom_options_, "global"}
      .add(role, "role", "server or client")
      .add(listen, "listen", "server: where to listen (default 127.0.0.1:0)")
      .add(peer, "peer", "client: the server's endpoint")
      .add(n, "n", "client: how many round trips (default 10000)")
      .add(secret_file, "secret-file", "a file holding the shared secret of both sides")
      .add(die_after, "die-after", "server: SIGKILL itself after answering this many Pings")
      .add(freeze_after, "freeze-after", "server: SIGSTOP itself after answering this many");
  }
};

/// The server's settings for a deliberate failure (-1: none).
struct failure_plan {
  int64_t die_after = -1;
  int64_t freeze_after = -1;
};

caf::behavior pong(caf::event_based_actor*, std::shared_ptr<std::atomic<int64_t>> served,
                   failure_plan plan) {
  return {
    [served, plan](const Ping& ping) {
      auto count = served->load(std::memory_order_relaxed);
      if (count == plan.die_after)
        raise(SIGKILL); // a crash: no goodbye, no closing of sockets by the program
      if (count == plan.freeze_after)
        raise(SIGSTOP); // a frozen process: its sockets stay open, nothing more is read
      Pong answer;
      answer.set_seq(ping.seq());
      served->fetch_add(1, std::memory_order_relaxed);
      return answer;
    },
  };
}

/// Blocks SIGINT and SIGTERM in every thread (call it before any thread starts), so that the
/// server's main thread can wait for them with sigwait.
sigset_t block_stop_signals() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  return stop;
}

int run_server(ping_pong_config& cfg) {
  auto stop = block_stop_signals();
  troupe::system sys{cfg};
  auto* node = troupe::net::node_of(sys);
  auto bound = node->listen(cfg.listen);
  if (!bound) {
    std::cerr << "ping_pong server: cannot listen on " << cfg.listen << ": "
              << sys.engine().render(bound.error()) << "\n";
    return 1;
  }
  auto served = std::make_shared<std::atomic<int64_t>>(0);
  if (auto err = sys.register_name(
        "pong", sys.engine().spawn(pong, served, failure_plan{cfg.die_after, cfg.freeze_after}))) {
    std::cerr << "ping_pong server: " << sys.engine().render(err) << "\n";
    return 1;
  }
  std::cout << "listening on " << *bound << std::endl;
  int signal = 0;
  sigwait(&stop, &signal);
  sys.shutdown();
  std::cout << "ping_pong server: served " << served->load() << " round trips" << std::endl;
  return 0;
}

/// What the client's actor found: the latency of each round trip, or the error that ended it.
struct client_result {
  std::vector<std::chrono::nanoseconds> latencies;
  caf::error error;
};

troupe::task round_trips(troupe::co_actor& self, caf::actor server, int64_t n,
                         std::shared_ptr<std::promise<client_result>> done) {
  client_result result;
  result.latencies.reserve(static_cast<size_t>(n));
  Ping ping;
  for (int64_t i = 0; i < n; ++i) {
    ping.set_seq(static_cast<uint64_t>(i));
    auto start = std::chrono::steady_clock::now();
    // Longer than the heartbeat bound: a dead or frozen server fails it with node_down first.
    auto answer = co_await self.request<Pong>(server, 30s, ping);
    if (!answer) {
      result.error = std::move(answer.error());
      break;
    }
    if (answer->seq() != static_cast<uint64_t>(i)) {
      result.error =
        caf::make_error(caf::sec::unexpected_response,
                        "Pong " + std::to_string(answer->seq()) + " for Ping " + std::to_string(i));
      break;
    }
    result.latencies.push_back(std::chrono::steady_clock::now() - start);
  }
  done->set_value(std::move(result));
}

double percentile_us(std::vector<std::chrono::nanoseconds>& xs, double p) {
  auto k = static_cast<size_t>(p * static_cast<double>(xs.size() - 1));
  std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(k), xs.end());
  return static_cast<double>(xs[k].count()) / 1000.0;
}

int run_client(ping_pong_config& cfg) {
  if (cfg.peer.empty() || cfg.n < 1) {
    std::cerr << "ping_pong client: needs --peer=ENDPOINT and --n >= 1 (see --help)\n";
    return 2;
  }
  troupe::system sys{cfg};
  auto server = sys.lookup("pong@" + cfg.peer);
  if (!server) {
    std::cerr << "ping_pong client: cannot reach pong@" << cfg.peer << ": "
              << sys.engine().render(server.error()) << "\n";
    return 1;
  }
  auto done = std::make_shared<std::promise<client_result>>();
  auto finished = done->get_future();
  auto start = std::chrono::steady_clock::now();
  sys.spawn(round_trips, *server, cfg.n, done);
  auto result = finished.get();
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  if (result.error) {
    std::cerr << "ping_pong client: error after " << result.latencies.size()
              << " round trips: " << sys.engine().render(result.error) << "\n";
    return 1;
  }
  auto count = static_cast<double>(result.latencies.size());
  auto p50 = percentile_us(result.latencies, 0.50);
  auto p99 = percentile_us(result.latencies, 0.99);
  std::cout << "ping_pong client: " << result.latencies.size() << " round trips to " << cfg.peer
            << " in " << elapsed.count() << " s: " << count / elapsed.count()
            << " round trips/s, p50 " << p50 << " us, p99 " << p99 << " us" << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  ping_pong_config cfg;
  troupe::net::type_registry types;
  if (auto err = types.add_file(*Ping::descriptor()->file())) {
    std::cerr << "ping_pong: " << caf::to_string(err) << "\n";
    return 1;
  }
  troupe::net::enable(cfg, std::move(types));
  if (auto done = cfg.parse_command_line(argc, argv, description))
    return *done;
  if (!cfg.secret_file.empty()) // the node's own option, under the sample's shorter name
    caf::put(cfg.content, "troupe.net.secret-file", cfg.secret_file);
  if (cfg.role == "server")
    return run_server(cfg);
  if (cfg.role == "client")
    return run_client(cfg);
  std::cerr << "ping_pong: --role must be server or client (see --help)\n";
  return 2;
}
