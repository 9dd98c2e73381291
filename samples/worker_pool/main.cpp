// A CPU-bound task on a troupe::actors::worker_pool of 1, 2, ... workers, beside Python's
// threads (the GIL) and multiprocessing.Pool on the same task. Run with --help.

#include <algorithm>
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
  "Each pool is started and warmed up (one job per worker) before it is timed; then each\n"
  "pool runs the --jobs tasks --reps times, the pools in turn, so that a noisy moment hurts\n"
  "them alike. The table shows the median seconds (min..max beside them), jobs/s and the\n"
  "speedup over one worker, from the medians. Then the same task in Python (--python,\n"
  "default /usr/bin/python3; --python=none skips it): serially, on 2 threads\n"
  "(ThreadPoolExecutor: the GIL serializes them) and on a warmed-up multiprocessing.Pool(2),\n"
  "with --python-jobs jobs, medians of --reps runs (Python is slower per job; jobs/s\n"
  "compares like with like).\n"
  "\n"
  "usage: worker_pool [--n=100000] [--jobs=384] [--reps=5] [--max-workers=2]\n"
  "                   [--python=/usr/bin/python3] [--python-jobs=6]\n";

struct sample_config : troupe::config {
  int32_t n = 100000;
  int32_t jobs = 384;
  int32_t reps = 5;
  int32_t max_workers = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  std::string python = "/usr/bin/python3";
  int32_t python_jobs = 6;

  sample_config() {
    opt_group{custom_options_, "global"}
      .add(n, "n", "each job counts the primes below n (default 100000)")
      .add(jobs, "jobs", "jobs per timed run (default 384)")
      .add(reps, "reps", "timed runs per pool size; the table shows medians (default 5)")
      .add(max_workers, "max-workers", "largest pool measured (default: cores)")
      .add(python, "python", "the Python interpreter for the comparison (none skips it)")
      .add(python_jobs, "python-jobs", "jobs per Python run (default 6)");
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
import statistics, sys, time
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
    n, jobs, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    def timed(run):
        times = []
        for _ in range(reps):
            t = time.perf_counter(); run(); times.append(time.perf_counter() - t)
        return statistics.median(times)
    print('serial', timed(lambda: [count_primes(n) for _ in range(jobs)]))
    def threads():
        with ThreadPoolExecutor(2) as ex: list(ex.map(count_primes, [n] * jobs))
    print('threads(2)', timed(threads))
    with Pool(2) as p:
        p.map(count_primes, [2] * 2)  # the warm-up: both processes started
        print('multiprocessing.Pool(2)', timed(lambda: p.map(count_primes, [n] * jobs, chunksize=1)))
)";

/// A pool of `workers`, started and warmed up, and the times of its timed runs.
struct timed_pool {
  int32_t workers;
  worker_pool pool;
  std::vector<double> seconds;
};

/// Runs `jobs` tasks on `pool` from `self` and waits for every result; false if one was wrong
/// or failed.
bool run_jobs(caf::scoped_actor& self, const worker_pool& pool, int32_t jobs, int32_t n,
              int32_t expect) {
  for (int32_t j = 0; j < jobs; ++j)
    self->send(pool.handle(), worker_pool::submit_to_atom::value, uint64_t{0},
               troupe::actors::make_job(count_primes, n), caf::actor{self});
  bool ok = true;
  for (int32_t j = 0; j < jobs; ++j)
    self->receive([&](int32_t primes) { ok = ok && primes == expect; },
                  [&](caf::error&) { ok = false; });
  return ok;
}

/// Times one run of `cfg.jobs` tasks on `p`; false if a job failed.
bool time_run(caf::scoped_actor& self, timed_pool& p, const sample_config& cfg, int32_t expect) {
  auto t0 = std::chrono::steady_clock::now();
  if (!run_jobs(self, p.pool, cfg.jobs, cfg.n, expect))
    return false;
  std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;
  p.seconds.push_back(secs.count());
  return true;
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  auto mid = xs.size() / 2;
  return xs.size() % 2 == 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

void print_row(const std::string& what, double secs, int32_t jobs, double base,
               const std::string& spread = "") {
  std::cout << std::left << std::setw(32) << what << std::right << std::fixed
            << std::setprecision(3) << std::setw(9) << secs << std::setw(16) << spread
            << std::setw(10) << std::setprecision(1) << jobs / secs << std::setw(9)
            << std::setprecision(2) << (base > 0 ? (jobs / secs) / base : 1.0) << "x\n";
}

std::string spread_of(const std::vector<double>& xs) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(3) << *std::min_element(xs.begin(), xs.end()) << ".."
      << *std::max_element(xs.begin(), xs.end());
  return out.str();
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
  auto cmd = cfg.python + " " + path + " " + std::to_string(cfg.n) + " " +
             std::to_string(cfg.python_jobs) + " " + std::to_string(cfg.reps);
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
  if (cfg.n < 2 || cfg.jobs < 1 || cfg.reps < 1 || cfg.max_workers < 1 || cfg.python_jobs < 1) {
    std::cerr << "worker_pool: --n must be >= 2, --jobs, --reps, --max-workers, --python-jobs "
                 ">= 1\n";
    return 2;
  }
  auto expect = count_primes(cfg.n);
  troupe::system sys{cfg};
  caf::scoped_actor self{sys.engine()};
  std::vector<timed_pool> pools;
  for (int32_t w = 1; w <= cfg.max_workers; ++w) {
    auto pool = worker_pool::spawn(sys, pool_options{static_cast<size_t>(w)});
    // The warm-up: every worker thread has started and run a job before the clock runs.
    if (!pool || !run_jobs(self, *pool, w, cfg.n, expect)) {
      std::cerr << "worker_pool: a job failed\n";
      return 1;
    }
    pools.push_back(timed_pool{w, *pool, {}});
  }
  for (int32_t rep = 0; rep < cfg.reps; ++rep)
    for (auto& p : pools)
      if (!time_run(self, p, cfg, expect)) {
        std::cerr << "worker_pool: a job failed\n";
        return 1;
      }
  for (auto& p : pools)
    self->send_exit(p.pool.handle(), caf::exit_reason::user_shutdown);
  std::cout << "task: count the primes below " << cfg.n << " (" << expect << "), " << cfg.jobs
            << " jobs per run, median of " << cfg.reps << " runs\n"
            << std::left << std::setw(32) << "runner" << std::right << std::setw(9) << "seconds"
            << std::setw(16) << "min..max" << std::setw(10) << "jobs/s" << std::setw(10)
            << "speedup\n";
  double base = cfg.jobs / median(pools.front().seconds);
  double best = 0;
  for (auto& p : pools) {
    auto secs = median(p.seconds);
    best = std::max(best, cfg.jobs / secs);
    print_row("troupe worker_pool(" + std::to_string(p.workers) + ")", secs, cfg.jobs, base,
              spread_of(p.seconds));
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
