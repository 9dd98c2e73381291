/// CAF 0.17's own remoting between two processes (`middleman().publish` / `remote_actor`,
/// the BASP protocol over TCP), sending int64_t messages: the baseline troupe's network layer
/// replaces.
///
///   bench_net_caf --case=rtt|oneway|stalled [--n=N] [CAF options, e.g. --scheduler.policy=...]
///
/// rtt: an event-based actor requests value + 1 from the remote echo actor, n times, one at a
/// time. oneway: n messages from one sender, then an end marker answered with the count of
/// in-order messages. stalled: the server is frozen (SIGSTOP) after one round trip and n
/// messages are pushed at it; the figure is the sender's peak RSS once CAF's BASP broker has
/// taken them all (a request to that broker, answered after everything queued before it).

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/io/basp_broker.hpp>

#include "harness.hpp"
#include "net_actors.hpp"
#include "net_harness.hpp"
#include "peer_process.hpp"

namespace {

using bench::net::end_of_stream;
using bench::net::options;
using bench::net::result;
using clock_type = std::chrono::steady_clock;

constexpr auto impl_name = "caf-remoting";

int serve(caf::actor_system& sys, const options& opts) {
  auto actor = opts.case_name == "rtt" ? sys.spawn(bench::net::echo_actor, int64_t{1})
                                       : sys.spawn(bench::net::counter_actor, int64_t{1});
  auto port = sys.middleman().publish(actor, 0, "127.0.0.1");
  if (!port) {
    std::cerr << "error: publish failed: " << sys.render(port.error()) << "\n";
    return 1;
  }
  std::cout << "listening 127.0.0.1:" << *port << std::endl;
  bench::net::serve_until_killed();
}

/// What the pinger of `rtt` fills in, plus where it is: it runs from one reply to the next.
struct rtt_run : bench::net::actor_run {
  using actor_run::actor_run;
  size_t warmup = 0;
  size_t total = 0;
  int64_t seq = 0;
  clock_type::time_point start;
  bench::stopwatch clock;
};

/// One request of the ping-pong; the next is sent from the reply's handler.
void ping(caf::event_based_actor* self, caf::actor server, caf::actor main,
          std::shared_ptr<rtt_run> run) {
  auto seq = ++run->seq;
  if (static_cast<size_t>(seq) == run->warmup + 1)
    run->clock = bench::stopwatch{};
  run->start = clock_type::now();
  auto done = [self, main] {
    self->send(main, caf::ok_atom::value);
    self->quit();
  };
  self->request(server, caf::infinite, seq)
    .then(
      [=](int64_t value) {
        if (value != seq + 1) {
          run->error = "round trip " + std::to_string(seq) + " answered " + std::to_string(value);
          return done();
        }
        if (static_cast<size_t>(seq) > run->warmup) {
          run->lat.add(run->start);
          ++run->count;
        }
        if (static_cast<size_t>(seq) == run->total) {
          run->clock.stop(*run);
          return done();
        }
        ping(self, server, main, run);
      },
      [=](caf::error& err) {
        run->error = "request failed: " + self->system().render(err);
        done();
      });
}

result round_trips(caf::actor_system& sys, const caf::actor& server, const options& opts) {
  auto run = std::make_shared<rtt_run>(opts.n);
  run->warmup = bench::net::warmup_rounds(opts.n);
  run->total = run->warmup + opts.n;
  caf::scoped_actor self{sys};
  sys.spawn([=, main = caf::actor{self}](caf::event_based_actor* pinger) -> caf::behavior {
    ping(pinger, server, main, run);
    return {[](caf::ok_atom) {}};
  });
  self->receive([](caf::ok_atom) {});
  auto res = run->to_result("round trips/s", static_cast<double>(run->count));
  bench::expect_equal(res, "round_trips", run->count, static_cast<int64_t>(opts.n));
  return res;
}

/// Sends 1..n from `self` to `server` (CAF keeps the order of one sender's messages).
void push(caf::scoped_actor& self, const caf::actor& server, size_t n) {
  for (size_t i = 1; i <= n; ++i)
    self->send(server, static_cast<int64_t>(i));
}

result one_way(caf::actor_system& sys, const caf::actor& server, const options& opts) {
  result res;
  res.unit = "msgs/s";
  caf::scoped_actor self{sys};
  bench::stopwatch clock;
  push(self, server, opts.n);
  int64_t count = 0;
  self->request(server, caf::infinite, end_of_stream)
    .receive([&](int64_t got) { count = got; },
             [&](caf::error& err) { res.error = "end marker failed: " + sys.render(err); });
  clock.stop(res);
  res.units = static_cast<double>(opts.n);
  bench::expect_equal(res, "received_in_order", count, static_cast<int64_t>(opts.n));
  return res;
}

result stalled(caf::actor_system& sys, const caf::actor& server, const options& opts,
               bench::net::peer_process* peer) {
  result res;
  res.unit = "msgs/s";
  if (peer == nullptr) {
    res.error = "the stalled case needs --role=pair (it freezes its own server)";
    return res;
  }
  caf::scoped_actor self{sys};
  int64_t before = -1;
  self->request(server, caf::infinite, end_of_stream)
    .receive([&](int64_t got) { before = got; },
             [&](caf::error& err) { res.error = "handshake request failed: " + sys.render(err); });
  if (!res.error.empty())
    return res;
  peer->stop();
  bench::stopwatch clock;
  push(self, server, opts.n);
  // The BASP broker handles its mailbox in order: its answer (or error) to this request comes
  // after it has serialized every message pushed above into its write buffers.
  auto basp = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  bool drained = false;
  self->request(basp, caf::infinite, caf::get_atom::value, server.node())
    .receive([&](const caf::node_id&, const std::string&, uint16_t) { drained = true; },
             [&](caf::error&) { drained = true; });
  clock.stop(res);
  res.units = static_cast<double>(opts.n);
  bench::expect_equal(res, "count_before_stall", before, 0);
  bench::expect_equal(res, "broker_drained", drained ? 1 : 0, 1);
  return res;
}

int run_client(caf::actor_system& sys, const options& opts, bench::net::peer_process* peer) {
  auto settings = bench::settings_json(sys);
  result res;
  std::string host;
  uint16_t port = 0;
  caf::expected<caf::actor> server = caf::sec::invalid_argument;
  if (!bench::net::split_host_port(opts.peer, host, port))
    res.error = "bad endpoint '" + opts.peer + "' (want HOST:PORT)";
  else if (server = sys.middleman().remote_actor(host, port); !server)
    res.error = "remote_actor(" + opts.peer + ") failed: " + sys.render(server.error());
  else if (opts.case_name == "rtt")
    res = round_trips(sys, *server, opts);
  else if (opts.case_name == "oneway")
    res = one_way(sys, *server, opts);
  else
    res = stalled(sys, *server, opts, peer);
  if (peer != nullptr) {
    res.peer_peak_rss_mib = peer->peak_rss_mib();
    peer->kill(); // before the system's shutdown, which must not wait on a frozen peer
  }
  return bench::net::report(impl_name, opts, res, settings);
}

int run(const options& opts, const std::vector<std::string>& rest, bench::net::peer_process* peer) {
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  if (auto stop = bench::parse_engine_options(cfg, rest))
    return *stop;
  caf::actor_system sys{cfg};
  if (opts.role == "server")
    return serve(sys, opts);
  bench::net::give_up_after_timeout(impl_name, opts, bench::settings_json(sys));
  return run_client(sys, opts, peer);
}

} // namespace

int main(int argc, char** argv) {
  return bench::net::actor_bench_main(
    argc, argv, "bench_net_caf: CAF 0.17's remoting (publish / remote_actor) between two processes",
    "CAF 0.17's remoting speaks TCP only", run);
}
