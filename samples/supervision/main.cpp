// A small supervision tree whose workers crash at random, with clients that reach them by
// name. Run with --help.

#include <atomic>
#include <cstdint>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/scoped_actor.hpp>

#include <troupe/actors/supervisor.hpp>
#include <troupe/troupe.hpp>

namespace {

using troupe::actors::child_info;
using troupe::actors::child_spec;
using troupe::actors::supervisor;
using troupe::actors::supervisor_flags;

constexpr const char* description =
  "supervision: a supervisor 'root' (one_for_one) over a supervisor 'workers' (one_for_one)\n"
  "over --workers named workers 'worker-0', 'worker-1', ...; each worker crashes (throws) on\n"
  "a request with probability --crash (seeded by --seed). --clients clients send --requests\n"
  "requests each to random workers by name. A request that the crashing worker was handling\n"
  "fails with the crash (coroutine_exception); a request sent in the short window before\n"
  "the name is bound to the new incarnation fails with unknown_name or\n"
  "request_receiver_down, and the client sends it again after 1 ms (at most 100 times).\n"
  "It prints the restarts per child and a summary: every failure a client noticed is one of\n"
  "the crashes, i.e. a request in flight; nothing else was lost.\n"
  "\n"
  "usage: supervision [--workers=4] [--clients=8] [--requests=500] [--crash=0.01] [--seed=1]\n";

struct sample_config : troupe::config {
  int32_t workers = 4;
  int32_t clients = 8;
  int32_t requests = 500;
  double crash = 0.01;
  int32_t seed = 1;

  sample_config() {
    opt_group{custom_options_, "global"}
      .add(workers, "workers", "workers under the 'workers' supervisor (default 4)")
      .add(clients, "clients", "clients sending by name (default 8)")
      .add(requests, "requests", "requests per client (default 500)")
      .add(crash, "crash", "probability that a worker crashes on a request (default 0.01)")
      .add(seed, "seed", "seed of the crashes and of the clients' choices (default 1)");
  }
};

/// Hands each worker incarnation its own seed (the same one again would repeat its crash).
using seed_source = std::shared_ptr<std::atomic<uint32_t>>;

/// A worker: answers its name's requests with the number, crashes with probability `p`.
troupe::task worker(troupe::co_actor& self, seed_source seeds, double p) {
  std::mt19937 rng{seeds->fetch_add(1)};
  std::bernoulli_distribution crash{p};
  for (;;) {
    auto x = co_await self.receive<int32_t>();
    if (crash(rng))
      throw std::runtime_error("worker crashed at random");
    self.reply(x);
  }
}

/// Counts what one client saw.
struct client_report {
  int32_t ok = 0;
  int32_t crashed = 0; // failed with the worker's crash: the request was in flight
  int32_t resent = 0;  // sent again after unknown_name or request_receiver_down
  int32_t lost = 0;    // anything else
};

bool is_window_error(const caf::error& err) {
  return err == troupe::make_error(troupe::error_code::unknown_name) ||
         err == caf::sec::request_receiver_down;
}

troupe::task client(troupe::co_actor& self, int32_t workers, int32_t requests, uint32_t seed,
                    caf::actor report_to) {
  std::mt19937 rng{seed};
  client_report r;
  for (int32_t i = 0; i < requests; ++i) {
    auto name = "worker-" + std::to_string(rng() % static_cast<uint32_t>(workers));
    for (int attempt = 0;; ++attempt) {
      auto reply = co_await self.request<int32_t>(name, std::chrono::seconds{5}, i);
      if (reply && *reply == i) {
        ++r.ok;
      } else if (!reply &&
                 reply.error() == troupe::make_error(troupe::error_code::coroutine_exception)) {
        ++r.crashed;
      } else if (!reply && is_window_error(reply.error()) && attempt < 100) {
        // The name is between incarnations: back off a moment (a receive that nothing
        // matches, with a timeout; no thread waits) and send again.
        ++r.resent;
        (void)co_await self.receive<caf::exit_msg>(std::chrono::milliseconds{1});
        continue;
      } else {
        ++r.lost;
      }
      break;
    }
  }
  self.send(report_to, r.ok, r.crashed, r.resent, r.lost);
}

} // namespace

int main(int argc, char** argv) {
  sample_config cfg;
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return *code;
  if (cfg.workers < 1 || cfg.clients < 1 || cfg.requests < 0 || cfg.crash < 0 || cfg.crash > 1) {
    std::cerr << "supervision: --workers and --clients must be >= 1, --crash in [0, 1]\n";
    return 2;
  }
  troupe::system sys{cfg};
  std::vector<child_spec> workers;
  auto seeds = std::make_shared<std::atomic<uint32_t>>(static_cast<uint32_t>(cfg.seed) * 100003u);
  for (int32_t i = 0; i < cfg.workers; ++i) {
    auto spec =
      troupe::actors::worker_spec("worker-" + std::to_string(i), worker, seeds, cfg.crash);
    spec.name = spec.id;
    workers.push_back(std::move(spec));
  }
  supervisor_flags lenient;
  lenient.intensity = 1000000; // crashes are the point here: never give up
  auto root =
    supervisor::spawn(sys, {}, {supervisor::spec("workers", lenient, std::move(workers))}, "root");
  if (!root) {
    std::cerr << "supervision: " << caf::to_string(root.error()) << '\n';
    return 1;
  }
  // The tree is up once both supervisors answered: each answers after starting its children.
  auto top = sys.request<std::vector<child_info>>(root->handle(), std::chrono::seconds{5},
                                                  supervisor::which_children_atom::value);
  if (!top || top->empty() ||
      !sys.request<std::vector<child_info>>((*top)[0].handle, std::chrono::seconds{5},
                                            supervisor::which_children_atom::value)) {
    std::cerr << "supervision: the tree did not start\n";
    return 1;
  }
  client_report total;
  {
    caf::scoped_actor self{sys.engine()};
    for (int32_t c = 0; c < cfg.clients; ++c)
      sys.spawn(client, cfg.workers, cfg.requests, static_cast<uint32_t>(cfg.seed * 7919 + c),
                caf::actor{self});
    for (int32_t c = 0; c < cfg.clients; ++c)
      self->receive([&](int32_t ok, int32_t crashed, int32_t resent, int32_t lost) {
        total.ok += ok;
        total.crashed += crashed;
        total.resent += resent;
        total.lost += lost;
      });
  }
  auto tree = sys.request<std::vector<child_info>>(root->handle(), std::chrono::seconds{5},
                                                   supervisor::which_children_atom::value);
  uint64_t restarts = 0;
  if (tree && !tree->empty()) {
    auto leaves = sys.request<std::vector<child_info>>((*tree)[0].handle, std::chrono::seconds{5},
                                                       supervisor::which_children_atom::value);
    std::cout << "child restarts\n";
    for (auto& c : leaves ? *leaves : std::vector<child_info>{}) {
      std::cout << c.id << ' ' << c.restarts << '\n';
      restarts += c.restarts;
    }
    std::cout << "workers " << (*tree)[0].restarts << " (the supervisor itself)\n";
  }
  auto sent = static_cast<int64_t>(cfg.clients) * cfg.requests;
  bool only_in_flight = total.lost == 0 && static_cast<uint64_t>(total.crashed) == restarts;
  std::cout << "summary: requests=" << sent << " ok=" << total.ok
            << " failed_in_flight=" << total.crashed << " restarts=" << restarts
            << " resent_in_window=" << total.resent << " lost=" << total.lost
            << " noticed_only_in_flight=" << (only_in_flight ? "yes" : "no") << '\n';
  // Stops every actor: each supervisor stops its children, last started first, and collects
  // at once those that the shutdown already ended.
  sys.shutdown();
  return only_in_flight ? 0 : 1;
}
