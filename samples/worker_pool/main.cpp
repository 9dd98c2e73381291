// A CPU-bound task on a troupe::actors::worker_pool of 1, 2, ... workers, beside Python's
// threads (the GIL) and multiprocessing.Pool on the same task. Run with --help.

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/scoped_actor.hpp>

#include <troupe/actors/worker_pool.hpp>
#include <troupe/troupe.hpp>

namespace {

using troupe::actors::pool_options;
using troupe::actors::worker_pool;

constexpr const char* description =
  "worker_pool: the documents' GIL lesson as figures. The task counts the primes below --n\n"
  "by trial division (pure CPU). --jobs such tasks run through a worker pool of 1, 2, ...\n"
  "--max-workers workers (default: the number of cores), with troupe's default scheduler\n"
  "settings (one scheduler worker on 2 cores): the pool's workers are threads of their own.\n"
  "The table shows seconds, jobs/s and the speedup over one worker. Then the same task in\n"
  "Python (--python, default /usr/bin/python3; --python=none skips it): serially, on 2 threads\n"
  "(ThreadPoolExecutor: the GIL serializes them) and on multiprocessing.Pool(2), with\n"
  "--python-jobs jobs (Python is slower per job; jobs/s compares like with like).\n"
  "\n"
  "usage: worker_pool [--n=100000] [--jobs=64] [--max-workers=2] [--python=/usr/bin/python3]\n"
  "                   [--python-jobs=4]\n";

struct sample_config : troupe::config {
  int32_t n = 100000;
  int32_t jobs = 64;
  int32_t max_workers = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  std::string python = "/usr/bin/python3";
  int32_t python_jobs = 4;

  sample_config() {
    opt_group{custom_options_, "global"}
      .add(n, "n", "each job counts the primes below n (default 100000)")
      .add(jobs, "jobs", "jobs per pool size (default 64)")
      .add(max_workers, "max-workers", "largest pool measured (default: cores)")
      .add(python, "python", "the Python interpreter for the comparison (none skips it)")
      .add(python_jobs, "python-jobs", "jobs per Python run (default 4)");
  }
};

/// The task, the same as the Python one below.
int32_t count_primes(int32_t n) {
  int32_t count = 0;
  for (int32_t i = 2; i < n; ++i) {
    bool prime = true;
    for (int32_t d = 2; d * d <= i; ++d)
      if (i % d == 0) {
        prime = false;
        break;
      }
    count += prime ? 1 : 0;
  }
  return count;
}

constexpr const char* python_script = R"(
import sys, time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool

def count_primes(n):
    count = 0
    for i in range(2, n):
        prime = True
        d = 2
        while d * d <= i:
            if i % d == 0:
                prime = False
                break
            d += 1
        count += prime
    return count

if __name__ == '__main__':
    n, jobs = int(sys.argv[1]), int(sys.argv[2])
    t = time.perf_counter(); [count_primes(n) for _ in range(jobs)]
    print('serial', time.perf_counter() - t)
    t = time.perf_counter()
    with ThreadPoolExecutor(2) as ex: list(ex.map(count_primes, [n] * jobs))
    print('threads(2)', time.perf_counter() - t)
    t = time.perf_counter()
    with Pool(2) as p: p.map(count_primes, [n] * jobs)
    print('multiprocessing.Pool(2)', time.perf_counter() - t)
)";

/// Seconds to run `jobs` tasks on a pool of `workers`; -1 if a job failed.
double measure(troupe::system& sys, int32_t workers, const sample_config& cfg, int32_t expect) {
  auto pool = worker_pool::spawn(sys, pool_options{static_cast<size_t>(workers)});
  if (!pool)
    return -1;
  caf::scoped_actor self{sys.engine()};
  auto t0 = std::chrono::steady_clock::now();
  for (int32_t j = 0; j < cfg.jobs; ++j)
    self->send(pool->handle(), worker_pool::submit_to_atom::value, uint64_t{0},
               troupe::actors::make_job(count_primes, cfg.n), caf::actor{self});
  bool ok = true;
  for (int32_t j = 0; j < cfg.jobs; ++j)
    self->receive([&](int32_t primes) { ok = ok && primes == expect; },
                  [&](caf::error&) { ok = false; });
  std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;
  return ok ? secs.count() : -1;
}

void print_row(const std::string& what, double secs, int32_t jobs, double base) {
  std::cout << std::left << std::setw(32) << what << std::right << std::fixed
            << std::setprecision(3) << std::setw(9) << secs << std::setw(11) << std::setprecision(1)
            << jobs / secs << std::setw(9) << std::setprecision(2)
            << (base > 0 ? (jobs / secs) / base : 1.0) << "x\n";
}

/// Runs the Python comparison; rows "name seconds".
std::vector<std::pair<std::string, double>> run_python(const sample_config& cfg) {
  std::vector<std::pair<std::string, double>> rows;
  auto path = std::string{"/tmp/troupe_worker_pool_"} + std::to_string(getpid()) + ".py";
  if (auto* f = std::fopen(path.c_str(), "w")) {
    std::fputs(python_script, f);
    std::fclose(f);
  } else {
    return rows;
  }
  auto cmd =
    cfg.python + " " + path + " " + std::to_string(cfg.n) + " " + std::to_string(cfg.python_jobs);
  if (auto* out = popen(cmd.c_str(), "r")) {
    std::array<char, 256> line{};
    while (std::fgets(line.data(), line.size(), out)) {
      std::istringstream in{line.data()};
      std::string name;
      double secs = 0;
      if (in >> name >> secs)
        rows.emplace_back(name, secs);
    }
    pclose(out);
  }
  std::remove(path.c_str());
  return rows;
}

} // namespace

int main(int argc, char** argv) {
  sample_config cfg;
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return *code;
  if (cfg.n < 2 || cfg.jobs < 1 || cfg.max_workers < 1 || cfg.python_jobs < 1) {
    std::cerr << "worker_pool: --n must be >= 2, --jobs, --max-workers, --python-jobs >= 1\n";
    return 2;
  }
  auto expect = count_primes(cfg.n);
  troupe::system sys{cfg};
  std::cout << "task: count the primes below " << cfg.n << " (" << expect << ")\n"
            << std::left << std::setw(32) << "runner" << std::right << std::setw(9) << "seconds"
            << std::setw(11) << "jobs/s" << std::setw(10) << "speedup\n";
  double base = 0;
  double best = 0;
  for (int32_t w = 1; w <= cfg.max_workers; ++w) {
    auto secs = measure(sys, w, cfg, expect);
    if (secs < 0) {
      std::cerr << "worker_pool: a job failed\n";
      return 1;
    }
    if (w == 1)
      base = cfg.jobs / secs;
    best = std::max(best, cfg.jobs / secs);
    print_row("troupe worker_pool(" + std::to_string(w) + ")", secs, cfg.jobs, base);
  }
  double python_pool = 0;
  if (cfg.python != "none") {
    for (auto& [name, secs] : run_python(cfg)) {
      print_row("python " + name, secs, cfg.python_jobs, base);
      if (name == "multiprocessing.Pool(2)")
        python_pool = cfg.python_jobs / secs;
    }
  }
  std::cout << "summary: speedup=" << std::setprecision(2) << best / base << "x (best of "
            << cfg.max_workers << " workers vs 1)";
  if (python_pool > 0)
    std::cout << " vs_python_pool2=" << std::setprecision(1) << best / python_pool << "x";
  std::cout << '\n';
}
