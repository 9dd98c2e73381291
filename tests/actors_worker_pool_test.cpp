// Worker pools: results of jobs, real parallelism with one scheduler worker, crashes that are
// restarted and fail (or retry) only their own job, the routing strategies, callbacks, errors.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "test_helpers.hpp"
#include "troupe/actors/worker_pool.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::actors::is;
using troupe::actors::pool_error;
using troupe::actors::pool_options;
using troupe::actors::pool_stats;
using troupe::actors::routing;
using troupe::actors::worker_pool;
using troupe::test::patience;
using troupe::test::probe;

namespace {

/// A fixed number of scheduler workers (the pool's own threads come on top).
struct test_config : troupe::config {
  explicit test_config(size_t workers = 4) { set("scheduler.max-threads", workers); }
};

/// A gate that jobs wait at (on their own worker threads, never on the scheduler's) until
/// `parties` of them arrived or `patience` passed; it tells whether they all met.
class gate {
public:
  explicit gate(int parties) : parties_(parties) {}

  bool arrive_and_wait() {
    std::unique_lock<std::mutex> lock{mtx_};
    ++arrived_;
    cv_.notify_all();
    return cv_.wait_for(lock, patience, [&] { return arrived_ >= parties_ || opened_; });
  }

  void open() {
    std::lock_guard<std::mutex> lock{mtx_};
    opened_ = true;
    cv_.notify_all();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  int parties_;
  int arrived_ = 0;
  bool opened_ = false;
};

size_t this_thread_id() {
  return std::hash<std::thread::id>{}(std::this_thread::get_id());
}

pool_stats stats_of(troupe::system& sys, const worker_pool& pool) {
  auto st = sys.request<pool_stats>(pool.handle(), patience, worker_pool::stats_atom::value);
  REQUIRE(st);
  return *st;
}

/// Submits `j` from outside any actor and waits for an int result.
template <class F>
caf::expected<int> run(troupe::system& sys, const worker_pool& pool, F fun, uint64_t key = 0) {
  return sys.request<int>(pool.handle(), patience, worker_pool::submit_atom::value, key,
                          troupe::actors::make_job(std::move(fun)));
}

/// Squares 0..n-1 through the pool and reports the sum to `log`.
task squares(co_actor& self, worker_pool pool, int n, caf::actor log) {
  int sum = 0;
  for (int i = 0; i < n; ++i) {
    auto r = co_await pool.apply_async<int>(
      self, patience, [](int x) { return x * x; }, i);
    sum += r ? *r : -1000000;
  }
  self.send(log, sum);
}

} // namespace

TEST_CASE("worker_pool: apply_async returns each job's result to the awaiting actor") {
  test_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  auto pool = worker_pool::spawn(sys, pool_options{3});
  REQUIRE(pool);
  sys.spawn(squares, *pool, 20, p.handle());
  CHECK(troupe::test::next<int>(p) == 2470); // sum of i*i for i < 20
  auto st = stats_of(sys, *pool);
  CHECK(st.submitted == 20);
  CHECK(st.completed == 20);
  CHECK(st.failed == 0);
}

TEST_CASE("worker_pool: jobs run in parallel even with a single scheduler worker") {
  test_config cfg{1};
  troupe::system sys{cfg};
  probe p{sys};
  auto pool = worker_pool::spawn(sys, pool_options{2, routing::least_loaded});
  REQUIRE(pool);
  // Each job waits until both are running: only true parallelism lets both see the other.
  auto meet = std::make_shared<gate>(2);
  auto job = [meet] { return meet->arrive_and_wait() ? 1 : 0; };
  auto a = (*p)->request(pool->handle(), patience, worker_pool::submit_atom::value, uint64_t{0},
                         troupe::actors::make_job(job));
  auto b = (*p)->request(pool->handle(), patience, worker_pool::submit_atom::value, uint64_t{0},
                         troupe::actors::make_job(job));
  int met = 0;
  for (auto* r : {&a, &b})
    r->receive([&](int x) { met += x; }, [](caf::error&) {});
  CHECK(met == 2);
}

TEST_CASE("worker_pool: a crashing job fails with its what() text, the worker is restarted, "
          "the other worker's job goes on") {
  test_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  auto pool = worker_pool::spawn(sys, pool_options{2, routing::round_robin});
  REQUIRE(pool);
  auto hold = std::make_shared<gate>(1000); // opened by the test
  // Round robin: the long job goes to worker 0, the crashing one to worker 1.
  auto slow = (*p)->request(pool->handle(), patience, worker_pool::submit_atom::value, uint64_t{0},
                            troupe::actors::make_job([hold] {
                              (void)hold->arrive_and_wait();
                              return 7;
                            }));
  auto crash = run(sys, *pool, []() -> int { throw std::runtime_error("division by zero"); });
  REQUIRE_FALSE(crash);
  CHECK(is(crash.error(), pool_error::worker_crashed));
  CHECK(troupe::test::context_of(crash.error()) == "division by zero");
  // Worker 0's job was not touched by the crash.
  hold->open();
  int slow_result = 0;
  slow.receive([&](int x) { slow_result = x; }, [](caf::error&) {});
  CHECK(slow_result == 7);
  // Round robin goes on with worker 0, then the restarted worker 1: both serve.
  CHECK(troupe::test::value_or(run(sys, *pool, [] { return 5; }), 0) == 5);
  CHECK(troupe::test::value_or(run(sys, *pool, [] { return 6; }), 0) == 6);
  auto st = stats_of(sys, *pool);
  CHECK(st.crashes == 1);
  CHECK(st.failed == 1);
  CHECK(st.completed == 3);
}

TEST_CASE("worker_pool: a job already handed to a worker whose job crashed runs on the "
          "restarted worker and is not counted as a retry") {
  test_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  auto pool = worker_pool::spawn(sys, pool_options{1});
  REQUIRE(pool);
  auto hold = std::make_shared<gate>(1000); // opened by the test
  auto crash = (*p)->request(pool->handle(), patience, worker_pool::submit_atom::value,
                             uint64_t{0}, troupe::actors::make_job([hold]() -> int {
                               (void)hold->arrive_and_wait();
                               throw std::runtime_error("crash with a job waiting");
                             }));
  auto next_job = (*p)->request(pool->handle(), patience, worker_pool::submit_atom::value,
                                uint64_t{0}, troupe::actors::make_job([] { return 11; }));
  // Answered after both submissions (same sender, in order): the second job has gone to the
  // worker, behind the first.
  auto before = (*p)->request(pool->handle(), patience, worker_pool::stats_atom::value);
  before.receive([](pool_stats& st) { CHECK(st.submitted == 2); },
                 [](caf::error& err) { FAIL(caf::to_string(err)); });
  hold->open();
  caf::error crash_error;
  crash.receive([](int) {}, [&](caf::error& err) { crash_error = err; });
  CHECK(is(crash_error, pool_error::worker_crashed));
  CHECK(troupe::test::context_of(crash_error) == "crash with a job waiting");
  int result = 0;
  next_job.receive([&](int x) { result = x; },
                   [](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(result == 11);
  auto st = stats_of(sys, *pool);
  CHECK(st.crashes == 1);
  CHECK(st.failed == 1);
  CHECK(st.completed == 1);
  CHECK(st.retried == 0);
}

TEST_CASE("worker_pool: with retries a job whose worker crashed runs again") {
  test_config cfg;
  troupe::system sys{cfg};
  pool_options opts{2};
  opts.retries = 2;
  auto pool = worker_pool::spawn(sys, opts);
  REQUIRE(pool);
  auto attempts = std::make_shared<std::atomic<int>>(0);
  auto flaky = [attempts]() -> int {
    if (++*attempts < 3)
      throw std::runtime_error("flaky");
    return 42;
  };
  CHECK(troupe::test::value_or(run(sys, *pool, flaky), 0) == 42);
  CHECK(attempts->load() == 3);
  auto st = stats_of(sys, *pool);
  CHECK(st.retried == 2);
  CHECK(st.crashes == 2);
  // Retries are bounded: a job that always throws fails after them.
  auto always = run(sys, *pool, []() -> int { throw std::runtime_error("always"); });
  CHECK(is(troupe::test::error_of(always), pool_error::worker_crashed));
  CHECK(stats_of(sys, *pool).retried == 4);
}

TEST_CASE("worker_pool: consistent hashing sends every job of a key to the same worker") {
  test_config cfg;
  troupe::system sys{cfg};
  auto pool = worker_pool::spawn(sys, pool_options{3, routing::consistent_hash});
  REQUIRE(pool);
  std::set<size_t> all_threads;
  for (uint64_t key = 0; key < 24; ++key) {
    std::set<size_t> threads;
    for (int i = 0; i < 4; ++i) {
      auto tid = sys.request<size_t>(pool->handle(), patience, worker_pool::submit_atom::value, key,
                                     troupe::actors::make_job(this_thread_id));
      REQUIRE(tid);
      threads.insert(*tid);
    }
    CHECK(threads.size() == 1);
    all_threads.insert(threads.begin(), threads.end());
  }
  CHECK(all_threads.size() > 1); // 24 keys do not all land on one of 3 workers
}

TEST_CASE("worker_pool: least loaded routing keeps quick jobs away from a busy worker") {
  test_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  auto pool = worker_pool::spawn(sys, pool_options{2, routing::least_loaded});
  REQUIRE(pool);
  auto hold = std::make_shared<gate>(1000);
  auto busy_thread = std::make_shared<std::atomic<size_t>>(0);
  auto started = std::make_shared<std::promise<void>>();
  auto slow = (*p)->request(pool->handle(), patience, worker_pool::submit_atom::value, uint64_t{0},
                            troupe::actors::make_job([hold, busy_thread, started] {
                              busy_thread->store(this_thread_id());
                              started->set_value();
                              (void)hold->arrive_and_wait();
                              return 0;
                            }));
  // The quick jobs come from another sender: wait until the slow one is running, or the
  // router could see them first and place the slow job on a worker they used.
  REQUIRE(started->get_future().wait_for(patience) == std::future_status::ready);
  for (int i = 0; i < 10; ++i) {
    auto tid = sys.request<size_t>(pool->handle(), patience, worker_pool::submit_atom::value,
                                   uint64_t{0}, troupe::actors::make_job(this_thread_id));
    REQUIRE(tid);
    CHECK(*tid != busy_thread->load());
  }
  hold->open();
  slow.receive([](int) {}, [](caf::error&) {});
}

TEST_CASE("worker_pool: apply_async_to sends the result, or the error, to a callback actor") {
  test_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  auto pool = worker_pool::spawn(sys, pool_options{2});
  REQUIRE(pool);
  pool->apply_async_to(
    p.handle(), [](int a, int b) { return a + b; }, 2, 3);
  CHECK(troupe::test::next<int>(p) == 5);
  pool->apply_async_to(
    p.handle(), [](std::string a, std::string b) { return a + b; }, std::string{"hello"},
    std::string{"world"});
  CHECK(troupe::test::next<std::string>(p) == "helloworld");
  pool->apply_async_to(p.handle(), []() -> int { throw std::runtime_error("bad input"); });
  auto err = troupe::test::next<caf::error>(p);
  CHECK(is(err, pool_error::worker_crashed));
  CHECK(troupe::test::context_of(err) == "bad input");
}

TEST_CASE("worker_pool: bad options and empty jobs are refused") {
  test_config cfg;
  troupe::system sys{cfg};
  CHECK(is(troupe::test::error_of(worker_pool::spawn(sys, pool_options{0})),
           pool_error::invalid_argument));
  auto pool = worker_pool::spawn(sys, pool_options{1});
  REQUIRE(pool);
  auto empty = sys.request<int>(pool->handle(), patience, worker_pool::submit_atom::value,
                                uint64_t{0}, troupe::actors::job{});
  CHECK(is(troupe::test::error_of(empty), pool_error::invalid_argument));
  CHECK(troupe::test::value_or(run(sys, *pool, [] { return 1; }), 0) == 1);
}

TEST_CASE("worker_pool: when restarts exceed the intensity the pool stops and says why") {
  test_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  pool_options opts{1};
  opts.restart_intensity = 0;
  auto pool = worker_pool::spawn(sys, opts);
  REQUIRE(pool);
  (*p)->monitor(pool->handle());
  auto crash = run(sys, *pool, []() -> int { throw std::runtime_error("fatal"); });
  CHECK(is(troupe::test::error_of(crash), pool_error::worker_crashed));
  auto down = troupe::test::next<caf::down_msg>(p);
  CHECK(down.source == pool->handle().address());
  CHECK(down.reason); // the supervisor's restart_intensity_exceeded, passed on by the link
  CHECK(run(sys, *pool, [] { return 1; }).error() == caf::sec::request_receiver_down);
}


TEST_CASE("worker_pool: a job that finishes after the pool was told to stop answers, then the "
          "pool ends") {
  test_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  auto pool = worker_pool::spawn(sys, pool_options{1});
  REQUIRE(pool);
  (*p)->monitor(pool->handle());
  auto hold = std::make_shared<gate>(1000);
  auto started = std::make_shared<std::promise<void>>();
  auto job = (*p)->request(pool->handle(), patience, worker_pool::submit_atom::value, uint64_t{0},
                           troupe::actors::make_job([hold, started] {
                             started->set_value();
                             (void)hold->arrive_and_wait();
                             return 7;
                           }));
  REQUIRE(started->get_future().wait_for(patience) == std::future_status::ready);
  caf::anon_send_exit(pool->handle(), caf::exit_reason::user_shutdown);
  hold->open();
  int result = 0;
  job.receive([&](int x) { result = x; }, [](caf::error&) {});
  CHECK(result == 7);
  auto down = troupe::test::next<caf::down_msg>(p);
  CHECK(down.source == pool->handle().address());
}
