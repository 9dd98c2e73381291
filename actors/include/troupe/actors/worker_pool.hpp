#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/timespan.hpp>

#include "troupe/co_actor.hpp"

namespace troupe {
class system;
} // namespace troupe

namespace troupe::actors {

/// Errors of worker pools, in the category `pool_error_category`.
enum class pool_error : uint8_t {
  /// The worker running the job crashed (the job threw: the context holds `what()`, or the
  /// worker was killed: the context holds the exit reason), and no retry was left.
  worker_crashed = 1,
  /// Zero workers, or an empty job.
  invalid_argument,
  /// The pool stopped (its workers' supervisor gave up) before the job finished.
  pool_stopped,
};

/// The CAF error category of `pool_error`.
constexpr caf::atom_value pool_error_category = caf::atom("pool");

/// Returns the name of `x`, e.g. "worker_crashed".
std::string to_string(pool_error x);

/// Wraps `x` into a `caf::error` (found by CAF through argument-dependent lookup).
caf::error make_error(pool_error x);

/// Wraps `x` into a `caf::error` with a context message that explains it.
caf::error make_error(pool_error x, std::string context);

/// Whether `err` is the pool error `x`.
bool is(const caf::error& err, pool_error x) noexcept;

/// How a pool picks the worker for a job.
enum class routing : uint8_t {
  /// Each worker in turn (a job for a restarting worker waits for it).
  round_robin,
  /// The worker with the fewest jobs sent and not yet answered.
  least_loaded,
  /// The worker that a job's key maps to on a hash ring: jobs of one key always go to the
  /// same worker (while the pool keeps its size).
  consistent_hash,
};

/// A unit of work: a function run on a worker's thread, whose result is the reply.
struct job {
  /// Runs the work; its message is the reply. An exception crashes the worker.
  std::function<caf::message()> run;
};

/// Makes a job that calls `fun(xs...)`; its reply is the result (empty for void).
template <class F, class... Ts> job make_job(F fun, Ts... xs) {
  return job{[fun = std::move(fun), ... xs = std::move(xs)]() mutable {
    if constexpr (std::is_void_v<std::invoke_result_t<F&, Ts&...>>) {
      fun(xs...);
      return caf::message{};
    } else {
      return caf::make_message(fun(xs...));
    }
  }};
}

/// How a worker pool is set up.
struct pool_options {
  /// Worker threads; 0 refused.
  size_t workers = 2;
  /// How jobs are routed.
  routing route = routing::round_robin;
  /// How often a job whose worker crashed is sent again (0: it fails with `worker_crashed`).
  uint32_t retries = 0;
  /// Restarts of crashed workers tolerated within `restart_period`; one more stops the pool.
  uint32_t restart_intensity = 100;
  /// The window of `restart_intensity`.
  caf::timespan restart_period = std::chrono::seconds{1};
};

/// What a pool reports about itself (`stats_atom`).
struct pool_stats {
  /// Jobs accepted.
  uint64_t submitted = 0;
  /// Jobs answered with their result.
  uint64_t completed = 0;
  /// Jobs failed with `worker_crashed` or `pool_stopped`.
  uint64_t failed = 0;
  /// Jobs sent again after their worker crashed.
  uint64_t retried = 0;
  /// Worker crashes seen (each one restarted by the pool's supervisor).
  uint64_t crashes = 0;
};

/// A pool of worker threads for CPU-bound jobs, like Python's `multiprocessing.Pool`, behind
/// a router actor.
///
/// Each worker is a detached actor (a thread of its own), so jobs run in parallel whatever
/// the scheduler's worker count: troupe's default is one scheduler worker on 2 cores, the best
/// setting for message passing, and a job must not occupy it. The workers are children of a
/// supervisor (one_for_one): a worker whose job throws crashes and is restarted; its job fails
/// with `worker_crashed` and the `what()` text (or is sent again, `pool_options::retries`),
/// while the other workers' jobs go on. Waiting for a result suspends the caller, never a
/// thread.
///
/// Plain CAF clients send `(submit_atom, uint64_t key, job)` as a request (reply: the job's
/// result or error), `(submit_to_atom, uint64_t key, job, caf::actor callback)` (the result,
/// or a `caf::error`, is sent to `callback`) and `stats_atom` (reply: `pool_stats`). The key
/// matters only for `consistent_hash`.
class worker_pool {
public:
  /// `(submit_atom, key, job)`: runs the job; the reply is its result.
  using submit_atom = caf::atom_constant<caf::atom("pool_sub")>;
  /// `(submit_to_atom, key, job, callback)`: runs the job and sends the result to `callback`.
  using submit_to_atom = caf::atom_constant<caf::atom("pool_subto")>;
  /// `stats_atom`: replies with `pool_stats`.
  using stats_atom = caf::atom_constant<caf::atom("pool_stats")>;

  /// Spawns a pool. Error: `invalid_argument` for zero workers.
  static caf::expected<worker_pool> spawn(troupe::system& sys, pool_options opts);

  /// A client for an existing pool's router.
  explicit worker_pool(caf::actor router) noexcept : router_(std::move(router)) {}

  /// The router actor.
  const caf::actor& handle() const noexcept { return router_; }

  /// Runs `fun(xs...)` on a worker and awaits `caf::expected<R>` (Python's
  /// `apply_async(func, args).get()`), waiting at most `timeout`.
  template <class R, class F, class... Ts>
  auto apply_async(co_actor& self, caf::timespan timeout, F fun, Ts... xs) const {
    return self.request<R>(router_, timeout, submit_atom::value, uint64_t{0},
                           make_job(std::move(fun), std::move(xs)...));
  }

  /// Like `apply_async`, routed by `key` (for `consistent_hash`).
  template <class R, class F, class... Ts>
  auto apply_keyed(co_actor& self, caf::timespan timeout, uint64_t key, F fun, Ts... xs) const {
    return self.request<R>(router_, timeout, submit_atom::value, key,
                           make_job(std::move(fun), std::move(xs)...));
  }

  /// Runs `fun(xs...)` on a worker and sends its result (or a `caf::error`) to `callback`:
  /// Python's `apply_async(func, args, callback=...)` with an actor as the callback.
  template <class F, class... Ts>
  void apply_async_to(const caf::actor& callback, F fun, Ts... xs) const {
    submit_to(callback, 0, make_job(std::move(fun), std::move(xs)...));
  }

  /// Sends `j` for `callback` (see `apply_async_to`).
  void submit_to(const caf::actor& callback, uint64_t key, job j) const;

private:
  caf::actor router_;
};

} // namespace troupe::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::pool_stats)
