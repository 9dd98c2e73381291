// Readers and writers on one resource behind a troupe::actors::rw_guard, under each policy:
// how long readers and writers wait, and whether writers starve. Run with --help.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/system_messages.hpp>

#include <troupe/actors/rw_guard.hpp>
#include <troupe/troupe.hpp>

namespace {

using troupe::actors::rw_guard;
using troupe::actors::rw_policy;
using clock_type = std::chrono::steady_clock;

constexpr const char* program = "readers_writers";

constexpr const char* description =
  "readers_writers: readers and writers share one resource behind a\n"
  "troupe::actors::rw_guard, once per policy (readers_preference, writers_preference, fair).\n"
  "Each reader and writer acquires its lease --ops times, holds it for --hold (its work,\n"
  "a timer, no thread blocks) and releases it. Per policy it prints how long reads and\n"
  "writes waited for their lease (p50, p99) and the longest writer wait. A steady stream of\n"
  "overlapping readers keeps readers_preference's writers waiting until the readers are\n"
  "done; fair lets each writer in after the leases that came before it.\n"
  "\n"
  "usage: readers_writers [--readers=8 --writers=2 --ops=50 --hold=2ms]\n"
  "\n";

/// The sample's options, parsed by CAF from the command line or a config file.
struct sample_config : troupe::config {
  int32_t readers = 8;
  int32_t writers = 2;
  int32_t ops = 50;
  caf::timespan hold = std::chrono::milliseconds{2};

  sample_config() {
    troupe::actors::add_error_names(*this);
    opt_group{custom_options_, "global"}
      .add(readers, "readers", "number of readers (default 8)")
      .add(writers, "writers", "number of writers (default 2)")
      .add(ops, "ops", "leases each reader and writer takes (default 50)")
      .add(hold, "hold", "how long a lease is held (default 2ms)");
  }
};

void print_line(std::string line) {
  line += '\n';
  std::cout << line << std::flush;
}

using stop_atom = caf::atom_constant<caf::atom("stop")>;

/// Takes `ops` leases of one kind; reports each wait in microseconds.
troupe::task worker(troupe::co_actor& self, rw_guard g, bool write, int32_t ops, caf::timespan hold,
                    caf::actor main) {
  std::vector<int64_t> waits;
  for (int32_t i = 0; i < ops; ++i) {
    auto t0 = clock_type::now();
    auto got = write ? co_await g.acquire_write(self, "table", std::chrono::minutes{5})
                     : co_await g.acquire_read(self, "table", std::chrono::minutes{5});
    if (!got)
      throw std::runtime_error("acquire: " + caf::to_string(got.error()));
    waits.push_back(
      std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0).count());
    (void)co_await self.receive<stop_atom>(hold); // the work: holding the lease a while
    if (auto released = co_await g.release(self, "table"); !released)
      throw std::runtime_error("release: " + caf::to_string(released.error()));
  }
  self.send(main, write, std::move(waits));
}

/// The `q`-quantile of `xs` (sorted in place), in milliseconds.
double quantile_ms(std::vector<int64_t>& xs, double q) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto i = std::min(xs.size() - 1, static_cast<size_t>(q * static_cast<double>(xs.size())));
  return static_cast<double>(xs[i]) / 1000.0;
}

std::string ms(double x) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << x << "ms";
  return out.str();
}

/// Runs one policy; returns the longest writer wait in ms, or nullopt on failure.
std::optional<double> run_policy(troupe::system& sys, const sample_config& cfg, rw_policy policy) {
  auto g = rw_guard::spawn(sys, policy);
  if (!g) {
    std::cerr << program << ": " << sys.engine().render(g.error()) << "\n";
    return std::nullopt;
  }
  caf::scoped_actor self{sys.engine()};
  auto main = caf::actor_cast<caf::actor>(self);
  std::vector<caf::actor> workers;
  for (int32_t i = 0; i < cfg.writers; ++i)
    workers.push_back(sys.spawn(worker, *g, true, cfg.ops, cfg.hold, main));
  for (int32_t i = 0; i < cfg.readers; ++i)
    workers.push_back(sys.spawn(worker, *g, false, cfg.ops, cfg.hold, main));
  for (auto& w : workers)
    self->monitor(w);
  std::vector<int64_t> read_waits;
  std::vector<int64_t> write_waits;
  caf::error failure;
  for (size_t i = 0; i < 2 * workers.size(); ++i)
    self->receive(
      [&](bool write, std::vector<int64_t>& waits) {
        auto& to = write ? write_waits : read_waits;
        to.insert(to.end(), waits.begin(), waits.end());
      },
      [&](caf::down_msg& down) {
        if (down.reason && !failure)
          failure = down.reason;
      });
  if (failure) {
    std::cerr << program << ": a worker failed: " << sys.engine().render(failure) << "\n";
    return std::nullopt;
  }
  auto longest = quantile_ms(write_waits, 1.0);
  print_line(to_string(policy) + ": reads=" + std::to_string(read_waits.size()) +
             " writes=" + std::to_string(write_waits.size()) + " read wait p50=" +
             ms(quantile_ms(read_waits, 0.5)) + " p99=" + ms(quantile_ms(read_waits, 0.99)) +
             " write wait p50=" + ms(quantile_ms(write_waits, 0.5)) +
             " p99=" + ms(quantile_ms(write_waits, 0.99)) + " longest writer wait=" + ms(longest));
  return longest;
}

std::optional<int> parse(sample_config& cfg, int argc, char** argv) {
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return code;
  for (auto [value, name] :
       {std::pair{cfg.readers, "readers"}, {cfg.writers, "writers"}, {cfg.ops, "ops"}}) {
    if (value < 1) {
      std::cerr << program << ": --" << name << " must be >= 1, got " << value << "; see --help\n";
      return 2;
    }
  }
  if (cfg.hold.count() < 0) {
    std::cerr << program << ": --hold must not be negative; see --help\n";
    return 2;
  }
  return std::nullopt;
}

} // namespace

int main(int argc, char** argv) {
  sample_config cfg;
  if (auto code = parse(cfg, argc, argv))
    return *code;
  troupe::system sys{cfg};
  std::string summary = "summary: longest writer wait";
  for (auto policy :
       {rw_policy::readers_preference, rw_policy::writers_preference, rw_policy::fair}) {
    auto longest = run_policy(sys, cfg, policy);
    if (!longest) {
      sys.shutdown();
      return 1;
    }
    summary += " " + to_string(policy) + "=" + ms(*longest);
  }
  print_line(summary);
  return 0;
}
