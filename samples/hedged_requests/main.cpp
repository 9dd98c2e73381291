// Fills the documents' blank table ("与顺序重试的测试对比"): success within a deadline and
// latency of sequential retry vs hedged requests against a server that drops requests.
// Run with --help.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>

#include <troupe/actors/hedge.hpp>
#include <troupe/troupe.hpp>

namespace {

using clock_type = std::chrono::steady_clock;
using troupe::actors::hedge;
using troupe::actors::hedge_options;

constexpr const char* description =
  "hedged_requests: the documents' problem: a client must get an answer within a deadline t\n"
  "from a server that interrupts requests at load peaks. Sequential retry (send, and after a\n"
  "failure send again) vs hedged requests (several copies in flight, one more every\n"
  "--hedge-delay, a failed one replaced at once; the first success wins), each over --trials\n"
  "calls from --clients concurrent clients. The server answers each request after a random\n"
  "latency (uniform in 0.5..1.5 x --latency) and interrupts it (an error) with probability\n"
  "--drop, seeded by --seed. The table shows the success rate within --deadline and the\n"
  "latency of the calls (p50, p99; failed calls count with their full time).\n"
  "\n"
  "Latencies of a few milliseconds measure the machine's scheduling more than the strategies\n"
  "on a busy 2-core host; the defaults use tens of milliseconds.\n"
  "\n"
  "usage: hedged_requests [--trials=2000] [--clients=50] [--drop=0.5] [--deadline=50ms]\n"
  "                       [--latency=20ms] [--hedge-delay=5ms] [--in-flight=3] [--seed=1]\n";

struct sample_config : troupe::config {
  int32_t trials = 2000;
  int32_t clients = 50;
  double drop = 0.5;
  caf::timespan deadline = std::chrono::milliseconds{50};
  caf::timespan latency = std::chrono::milliseconds{20};
  caf::timespan hedge_delay = std::chrono::milliseconds{5};
  int32_t in_flight = 3;
  int32_t seed = 1;

  sample_config() {
    opt_group{custom_options_, "global"}
      .add(trials, "trials", "calls per strategy (default 2000)")
      .add(clients, "clients", "concurrent clients (default 50)")
      .add(drop, "drop", "probability that the server interrupts a request (default 0.5)")
      .add(deadline, "deadline", "the deadline t of each call (default 50ms)")
      .add(latency, "latency", "the server's mean latency (default 20ms)")
      .add(hedge_delay, "hedge-delay", "the wait before each further copy (default 5ms)")
      .add(in_flight, "in-flight", "copies in flight at once when hedging (default 3)")
      .add(seed, "seed", "seed of the server's latencies and drops (default 1)");
  }
};

/// The server: answers request x with x after a random latency, or interrupts it.
troupe::task flaky_server(troupe::co_actor& self, uint32_t seed, double drop,
                          caf::timespan latency) {
  std::mt19937 rng{seed};
  std::bernoulli_distribution dropped{drop};
  std::uniform_real_distribution<double> spread{0.5, 1.5};
  struct pending {
    caf::response_promise reply;
    int32_t x;
    bool drop;
  };
  std::multimap<clock_type::time_point, pending> due;
  for (;;) {
    std::optional<int32_t> x;
    if (due.empty()) {
      x = co_await self.receive<int32_t>();
    } else {
      auto wait = std::max(clock_type::duration{0}, due.begin()->first - clock_type::now());
      x = co_await self.receive<int32_t>(wait);
    }
    if (x) {
      auto after = std::chrono::duration_cast<clock_type::duration>(latency * spread(rng));
      due.emplace(clock_type::now() + after, pending{self.take_reply_promise(), *x, dropped(rng)});
    }
    auto now = clock_type::now();
    while (!due.empty() && due.begin()->first <= now) {
      auto p = std::move(due.begin()->second);
      due.erase(due.begin());
      if (p.drop)
        p.reply.deliver(caf::make_error(caf::sec::runtime_error, "interrupted at a load peak"));
      else
        p.reply.deliver(p.x);
    }
  }
}

/// Makes `n` calls and reports each as (ok, microseconds).
troupe::task client(troupe::co_actor& self, caf::actor server, hedge_options opts, int32_t n,
                    caf::actor report_to) {
  std::vector<int64_t> ok_us;
  std::vector<int64_t> failed_us;
  const std::vector<caf::actor> targets{server};
  for (int32_t i = 0; i < n; ++i) {
    auto t0 = clock_type::now();
    auto r = co_await hedge::request<int32_t>(self, targets, opts, i);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0);
    (r && *r == i ? ok_us : failed_us).push_back(us.count());
  }
  self.send(report_to, std::move(ok_us), std::move(failed_us));
}

struct outcome {
  int64_t ok = 0;
  int64_t total = 0;
  std::vector<int64_t> us;
};

outcome run(troupe::system& sys, const sample_config& cfg, hedge_options opts) {
  auto server = sys.spawn(flaky_server, static_cast<uint32_t>(cfg.seed), cfg.drop, cfg.latency);
  outcome out;
  caf::scoped_actor self{sys.engine()};
  auto per_client = cfg.trials / cfg.clients;
  for (int32_t c = 0; c < cfg.clients; ++c)
    sys.spawn(client, server, opts, per_client, caf::actor{self});
  for (int32_t c = 0; c < cfg.clients; ++c)
    self->receive([&](std::vector<int64_t>& ok, std::vector<int64_t>& failed) {
      out.ok += static_cast<int64_t>(ok.size());
      out.total += static_cast<int64_t>(ok.size() + failed.size());
      out.us.insert(out.us.end(), ok.begin(), ok.end());
      out.us.insert(out.us.end(), failed.begin(), failed.end());
    });
  caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
  std::sort(out.us.begin(), out.us.end());
  return out;
}

double percentile_ms(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty())
    return 0;
  auto i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1));
  return static_cast<double>(sorted[i]) / 1000.0;
}

void print_row(const std::string& name, const outcome& o) {
  std::cout << std::left << std::setw(22) << name << std::right << std::fixed
            << std::setprecision(1) << std::setw(9) << 100.0 * o.ok / std::max<int64_t>(1, o.total)
            << "%" << std::setw(10) << std::setprecision(2) << percentile_ms(o.us, 0.5)
            << std::setw(10) << percentile_ms(o.us, 0.99) << '\n';
}

} // namespace

int main(int argc, char** argv) {
  sample_config cfg;
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return *code;
  if (cfg.trials < 1 || cfg.clients < 1 || cfg.clients > cfg.trials || cfg.drop < 0 ||
      cfg.drop > 1 || cfg.deadline <= caf::timespan{0} || cfg.in_flight < 1) {
    std::cerr << "hedged_requests: need 1 <= clients <= trials, --drop in [0, 1], "
                 "--deadline > 0, --in-flight >= 1\n";
    return 2;
  }
  troupe::system sys{cfg};
  constexpr uint32_t unlimited = 1000000; // the deadline, not a count, ends each call
  auto seq = run(sys, cfg, hedge_options::sequential(cfg.deadline, unlimited));
  auto hedged = run(sys, cfg,
                    hedge_options::hedged(cfg.deadline, unlimited,
                                          static_cast<uint32_t>(cfg.in_flight), cfg.hedge_delay));
  auto ms = [](caf::timespan t) { return std::chrono::duration<double, std::milli>(t).count(); };
  std::cout << "deadline " << ms(cfg.deadline) << " ms, drop rate " << cfg.drop
            << ", server latency " << ms(cfg.latency) << " ms (mean), " << seq.total
            << " calls each\n"
            << std::left << std::setw(22) << "strategy" << std::right << std::setw(10) << "success"
            << std::setw(10) << "p50 ms" << std::setw(10) << "p99 ms" << '\n';
  print_row("sequential retry", seq);
  print_row("hedged (" + std::to_string(cfg.in_flight) + " in flight)", hedged);
  std::cout << std::setprecision(1) << "summary: sequential_success=" << 100.0 * seq.ok / seq.total
            << "% hedged_success=" << 100.0 * hedged.ok / hedged.total << "%\n";
}
