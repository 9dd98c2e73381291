// The Banker's algorithm as an actor: the textbook example (five processes, resources A B C)
// step by step, or a random run with many concurrent clients. Run with --help.

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/system_messages.hpp>

#include <troupe/actors/banker.hpp>
#include <troupe/troupe.hpp>

namespace {

using troupe::actors::banker;
using troupe::actors::banker_snapshot;
using troupe::actors::resource_vector;

constexpr const char* program = "bankers";

constexpr const char* description =
  "bankers: Dijkstra's Banker's algorithm as a troupe::actors::banker.\n"
  "\n"
  "By default it plays the textbook example (Silberschatz: five processes P0..P4,\n"
  "resources A=10 B=5 C=7): the processes declare their claims and take their allocations,\n"
  "the safe sequence is printed, then P1 asks for 1 0 2 (granted), P4 for 3 3 0 (deferred:\n"
  "more than is free) and P0 for 0 2 0 (deferred: unsafe). Then the processes finish one by\n"
  "one, in a safe order, and each deferred request is granted as soon as it is safe.\n"
  "\n"
  "With --clients or --resources it runs a random workload instead: C concurrent clients\n"
  "with random claims request and release random amounts; after every step a client checks\n"
  "the banker's state for safety. The summary shows that every state was safe and every\n"
  "client finished. It runs on four workers unless --scheduler.max-threads says otherwise.\n"
  "\n"
  "usage: bankers [--clients=C --resources=M --steps=S --seed=N]\n"
  "\n";

/// The sample's options, parsed by CAF from the command line or a config file.
struct sample_config : troupe::config {
  int32_t clients = 0;
  int32_t resources = 0;
  int32_t steps = 50;
  int32_t seed = 1;

  sample_config() {
    troupe::actors::add_error_names(*this);
    opt_group{custom_options_, "global"}
      .add(clients, "clients", "random mode: number of clients (default 20)")
      .add(resources, "resources", "random mode: number of resource types (default 3)")
      .add(steps, "steps", "random mode: requests and releases per client (default 50)")
      .add(seed, "seed", "random mode: seed of the random numbers (default 1)");
  }

  bool random_mode() const { return clients != 0 || resources != 0; }
};

void print_line(std::string line) {
  line += '\n';
  std::cout << line << std::flush;
}

std::string show(const resource_vector& x) {
  std::ostringstream out;
  for (size_t j = 0; j < x.size(); ++j)
    out << (j == 0 ? "" : " ") << x[j];
  return out.str();
}

/// "P<i>", a process's name.
std::string pname(int32_t i) {
  std::ostringstream out;
  out << 'P' << i;
  return out.str();
}

std::string show_sequence(const std::vector<uint32_t>& seq) {
  std::ostringstream out;
  for (size_t k = 0; k < seq.size(); ++k)
    out << (k == 0 ? "P" : " P") << seq[k];
  return seq.empty() ? "(none: unsafe)" : out.str();
}

// -- the textbook example ---------------------------------------------------------------------

using ask_atom = caf::atom_constant<caf::atom("ask")>;
using finish_atom = caf::atom_constant<caf::atom("finish")>;
using granted_atom = caf::atom_constant<caf::atom("granted")>;
using finished_atom = caf::atom_constant<caf::atom("finished")>;

/// A process: claims `max`, takes `allocation`, then on `(ask_atom, amounts)` requests them
/// and on `finish_atom` requests what it still needs and leaves. It reports each grant and
/// its finish to `main`; its requests are in the banker's mailbox before it answers `main`.
caf::behavior process(caf::event_based_actor* self, caf::actor b, int32_t me, resource_vector max,
                      resource_vector allocation, caf::actor main) {
  auto held = std::make_shared<resource_vector>(allocation.size(), 0);
  auto fail = [=](caf::error& err) { self->send(main, me, err); };
  auto ask = [=](resource_vector amounts, bool then_leave) {
    self->request(b, caf::infinite, banker::request_atom::value, amounts)
      .then(
        [=] {
          for (size_t j = 0; j < held->size(); ++j)
            (*held)[j] += amounts[j];
          if (!then_leave) {
            self->send(main, granted_atom::value, me);
            return;
          }
          self->request(b, caf::infinite, banker::leave_atom::value)
            .then([=] { self->send(main, finished_atom::value, me, *held); }, fail);
        },
        fail);
  };
  self->request(b, caf::infinite, banker::claim_atom::value, max).then([] {}, fail);
  ask(allocation, false);
  return {
    [=](ask_atom, resource_vector& amounts) {
      ask(amounts, false);
      return caf::unit;
    },
    [=](finish_atom) {
      resource_vector need(max.size());
      for (size_t j = 0; j < need.size(); ++j)
        need[j] = max[j] - (*held)[j];
      ask(need, true);
      return need;
    },
  };
}

/// Drives the textbook script from main through a scoped actor.
class textbook {
public:
  textbook(troupe::system& sys, caf::scoped_actor& self, banker b)
      : sys_(sys), self_(self), b_(std::move(b)) {}

  int run() {
    const resource_vector max[] = {{7, 5, 3}, {3, 2, 2}, {9, 0, 2}, {2, 2, 2}, {4, 3, 3}};
    const resource_vector allocation[] = {{0, 1, 0}, {2, 0, 0}, {3, 0, 2}, {2, 1, 1}, {0, 0, 2}};
    print_line("banker: resources A B C, total " + show({10, 5, 7}));
    for (int32_t i = 0; i < 5; ++i) {
      procs_[i] = sys_.engine().spawn(process, b_.handle(), i, max[i], allocation[i],
                                      caf::actor_cast<caf::actor>(self_));
      if (!await_grant(i))
        return 1;
      print_line(pname(i) + " claims " + show(max[i]) + ", holds " + show(allocation[i]));
    }
    auto s = snapshot();
    print_line("available " + show(s.available) + ", safe sequence " +
               show_sequence(s.safe_sequence));
    if (!ask(1, {1, 0, 2}) || !ask(4, {3, 3, 0}) || !ask(0, {0, 2, 0}))
      return 1;
    while (!procs_.empty())
      if (!finish_next())
        return 1;
    s = snapshot();
    print_line("summary: processes=5 finished=" + std::to_string(finished_) +
               " granted=" + std::to_string(s.granted) + " deferred=" + std::to_string(s.deferred) +
               " available=" + show(s.available));
    return finished_ == 5 ? 0 : 1;
  }

private:
  banker_snapshot snapshot() {
    banker_snapshot result;
    self_->request(b_.handle(), caf::infinite, banker::snapshot_atom::value)
      .receive([&](banker_snapshot& x) { result = std::move(x); }, [](caf::error&) {});
    return result;
  }

  bool waiting(const banker_snapshot& s, int32_t who) {
    for (auto& c : s.clients)
      if (c.index == static_cast<uint32_t>(who))
        return c.waiting;
    return false;
  }

  /// Asks process `who` to request `amounts`; prints whether it was granted or deferred.
  bool ask(int32_t who, resource_vector amounts) {
    auto before = snapshot();
    bool asked = false;
    self_->request(procs_.at(who), caf::infinite, ask_atom::value, amounts)
      .receive([&] { asked = true; }, [](caf::error&) {});
    auto after = snapshot();
    std::string line = pname(who) + " requests " + show(amounts) + ": ";
    if (waiting(after, who)) {
      bool free = true;
      for (size_t j = 0; j < amounts.size(); ++j)
        free = free && amounts[j] <= before.available[j];
      line += free ? "deferred (granting it would leave no safe sequence)"
                   : "deferred (more than the available " + show(before.available) + ")";
      waiting_.insert(who);
      print_line(line);
      return asked;
    }
    if (!await_grant(who))
      return false;
    print_line(line + "granted, available " + show(after.available) + ", safe sequence " +
               show_sequence(after.safe_sequence));
    return asked;
  }

  /// Lets the first process of the safe sequence that is not waiting finish; prints what
  /// happens, including deferred requests granted once it gave everything back.
  bool finish_next() {
    auto s = snapshot();
    for (auto who : s.safe_sequence) {
      auto id = static_cast<int32_t>(who);
      if (waiting_.count(id) > 0)
        continue;
      resource_vector need;
      self_->request(procs_.at(id), caf::infinite, finish_atom::value)
        .receive([&](resource_vector& x) { need = std::move(x); }, [](caf::error&) {});
      resource_vector released;
      bool done = false;
      self_->receive(
        [&](finished_atom, int32_t, resource_vector& x) {
          released = std::move(x);
          done = true;
        },
        [&](int32_t, caf::error& err) {
          std::cerr << program << ": " << sys_.engine().render(err) << "\n";
        });
      if (!done)
        return false;
      ++finished_;
      procs_.erase(id);
      print_line(pname(id) + " requests the rest of its claim " + show(need) +
                 ", finishes and gives back " + show(released));
      return grant_deferred();
    }
    std::cerr << program << ": no process can finish\n";
    return false;
  }

  /// Prints the deferred requests that the banker granted since the last snapshot.
  bool grant_deferred() {
    auto s = snapshot();
    for (auto i = waiting_.begin(); i != waiting_.end();) {
      if (waiting(s, *i)) {
        ++i;
        continue;
      }
      if (!await_grant(*i))
        return false;
      print_line(pname(*i) + "'s deferred request is safe now: granted");
      i = waiting_.erase(i);
    }
    return true;
  }

  bool await_grant(int32_t who) {
    bool granted = false;
    self_->receive([&](granted_atom, int32_t id) { granted = id == who; },
                   [&](int32_t, caf::error& err) {
                     std::cerr << program << ": " << sys_.engine().render(err) << "\n";
                   });
    return granted;
  }

  troupe::system& sys_;
  caf::scoped_actor& self_;
  banker b_;
  std::map<int32_t, caf::actor> procs_;
  std::set<int32_t> waiting_;
  int finished_ = 0;
};

// -- the random run ---------------------------------------------------------------------------

/// Whether some order lets every client of `s` finish (checked here, not by the banker).
bool is_safe(const banker_snapshot& s) {
  auto work = s.available;
  std::vector<bool> done(s.clients.size(), false);
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t i = 0; i < s.clients.size(); ++i) {
      bool fits = !done[i];
      for (size_t j = 0; fits && j < work.size(); ++j)
        fits = s.clients[i].max[j] - s.clients[i].allocation[j] <= work[j];
      if (!fits)
        continue;
      for (size_t j = 0; j < work.size(); ++j)
        work[j] += s.clients[i].allocation[j];
      done[i] = progress = true;
    }
  }
  return std::find(done.begin(), done.end(), false) == done.end();
}

troupe::task random_client(troupe::co_actor& self, banker b, resource_vector total, int32_t steps,
                           uint32_t seed, caf::actor main) {
  std::mt19937 rng{seed};
  resource_vector max(total.size());
  for (size_t j = 0; j < total.size(); ++j)
    max[j] = static_cast<int32_t>(rng() % (total[j] + 1));
  if (auto ok = co_await b.claim(self, max); !ok)
    throw std::runtime_error("claim: " + caf::to_string(ok.error()));
  resource_vector held(total.size(), 0);
  int64_t unsafe = 0;
  for (int32_t step = 0; step < steps; ++step) {
    bool give_back = rng() % 3 == 0;
    resource_vector amounts(total.size());
    for (size_t j = 0; j < total.size(); ++j) {
      auto room = give_back ? held[j] : max[j] - held[j];
      amounts[j] = room > 0 ? static_cast<int32_t>(rng() % (room + 1)) : 0;
      held[j] += give_back ? -amounts[j] : amounts[j];
    }
    auto done = give_back ? co_await b.release(self, amounts)
                          : co_await b.request(self, amounts, std::chrono::minutes{1});
    if (!done)
      throw std::runtime_error("step: " + caf::to_string(done.error()));
    auto state = co_await b.snapshot(self);
    if (!state || !is_safe(*state))
      ++unsafe;
  }
  if (auto left = co_await b.leave(self); !left)
    throw std::runtime_error("leave: " + caf::to_string(left.error()));
  self.send(main, unsafe);
}

int run_random(troupe::system& sys, const sample_config& cfg, caf::scoped_actor& self) {
  auto clients = cfg.clients > 0 ? cfg.clients : 20;
  auto resources = cfg.resources > 0 ? cfg.resources : 3;
  std::mt19937 rng{static_cast<uint32_t>(cfg.seed)};
  resource_vector total(static_cast<size_t>(resources));
  for (auto& t : total)
    t = static_cast<int32_t>(2 + rng() % 9);
  auto b = banker::spawn(sys, total);
  if (!b) {
    std::cerr << program << ": " << sys.engine().render(b.error()) << "\n";
    return 1;
  }
  print_line("banker: " + std::to_string(resources) + " resource types, total " + show(total) +
             ", " + std::to_string(clients) + " clients of " + std::to_string(cfg.steps) +
             " steps");
  for (int32_t i = 0; i < clients; ++i) {
    auto client = sys.spawn(random_client, *b, total, cfg.steps, static_cast<uint32_t>(rng()),
                            caf::actor_cast<caf::actor>(self));
    self->monitor(client);
  }
  int64_t unsafe = 0;
  int finished = 0;
  caf::error failure;
  for (int i = 0; i < 2 * clients; ++i)
    self->receive([&](int64_t n) { unsafe += n, ++finished; },
                  [&](caf::down_msg& down) {
                    if (down.reason && !failure)
                      failure = down.reason;
                  });
  if (failure) {
    std::cerr << program << ": a client failed: " << sys.engine().render(failure) << "\n";
    return 1;
  }
  banker_snapshot s;
  self->request(b->handle(), caf::infinite, banker::snapshot_atom::value)
    .receive([&](banker_snapshot& x) { s = std::move(x); }, [](caf::error&) {});
  print_line("summary: clients=" + std::to_string(clients) +
             " finished=" + std::to_string(finished) + " granted=" + std::to_string(s.granted) +
             " deferred=" + std::to_string(s.deferred) +
             " unsafe_states=" + std::to_string(unsafe) + " available=" + show(s.available));
  return finished == clients && unsafe == 0 && s.available == total ? 0 : 1;
}

std::optional<int> parse(sample_config& cfg, int argc, char** argv) {
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return code;
  for (auto [value, name] : {std::pair{cfg.clients, "clients"}, {cfg.resources, "resources"}}) {
    if (value < 0) {
      std::cerr << program << ": --" << name << " must be >= 1, got " << value << "; see --help\n";
      return 2;
    }
  }
  if (cfg.steps < 1) {
    std::cerr << program << ": --steps must be >= 1, got " << cfg.steps << "; see --help\n";
    return 2;
  }
  // The random clients contend only when they run in parallel: four workers unless told.
  bool workers_given = std::any_of(argv + 1, argv + argc, [](const char* arg) {
    return std::string_view{arg}.rfind("--scheduler.max-threads", 0) == 0;
  });
  if (cfg.random_mode() && !workers_given)
    cfg.set("scheduler.max-threads", 4);
  return std::nullopt;
}

} // namespace

int main(int argc, char** argv) {
  sample_config cfg;
  if (auto code = parse(cfg, argc, argv))
    return *code;
  troupe::system sys{cfg};
  int code = 0;
  {
    caf::scoped_actor self{sys.engine()};
    if (cfg.random_mode()) {
      code = run_random(sys, cfg, self);
    } else if (auto b = banker::spawn(sys, {10, 5, 7})) {
      code = textbook{sys, self, *b}.run();
    } else {
      std::cerr << program << ": " << sys.engine().render(b.error()) << "\n";
      code = 1;
    }
  }
  if (code != 0)
    sys.shutdown();
  return code;
}
