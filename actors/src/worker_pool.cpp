#include "troupe/actors/worker_pool.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>

#include "troupe/actors/supervisor.hpp"
#include "troupe/system.hpp"

namespace troupe::actors {

namespace {

using pool = worker_pool;
/// A worker's hello to the router after each (re)start, with its slot.
using worker_up_atom = caf::atom_constant<caf::atom("pool_up")>;
/// The router's order to a worker: run a job.
using run_atom = caf::atom_constant<caf::atom("pool_run")>;

/// Virtual nodes per worker on the hash ring: enough to spread keys evenly over a few workers.
constexpr size_t ring_points = 64;

/// A 64-bit mixer (splitmix64's finalizer): spreads keys and ring points evenly.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

} // namespace

namespace detail {

/// A job's result on its way from a worker to the router.
struct job_done {
  caf::message result;
};

} // namespace detail

} // namespace troupe::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::job_done)

namespace troupe::actors {

namespace {

using detail::job_done;

/// A weak reference to the router, wrapped: CAF's spawn turns a bare weak pointer or address
/// argument into a strong handle.
struct router_ref {
  caf::weak_actor_ptr ptr;
};

/// A worker: a detached actor that runs jobs; an exception in a job ends it with
/// `worker_crashed` and the `what()` text, which its supervisor and the router see.
class worker final : public caf::event_based_actor {
public:
  /// It knows its router only weakly: the router holds the supervisor, which holds the
  /// workers, and a strong reference back would keep an abandoned pool alive for ever.
  worker(caf::actor_config& cfg, router_ref router, size_t slot)
      : caf::event_based_actor(cfg), router_(std::move(router.ptr)), slot_(slot) {}

  caf::behavior make_behavior() override {
    set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& ex) -> caf::error {
      try {
        std::rethrow_exception(ex);
      } catch (const std::exception& e) {
        return make_error(pool_error::worker_crashed, e.what());
      } catch (...) {
        return make_error(pool_error::worker_crashed, "a job threw a non-standard exception");
      }
    });
    if (auto r = caf::actor_cast<caf::actor>(router_))
      send(r, worker_up_atom::value, static_cast<uint64_t>(slot_));
    return {
      [](run_atom, job& j) { return job_done{j.run()}; },
    };
  }

private:
  caf::weak_actor_ptr router_;
  size_t slot_;
};

/// A job on its way: who waits for it and how often it was sent again.
struct pending_job {
  job work;
  uint64_t key;
  caf::response_promise reply; // for submit
  caf::actor callback;         // for submit_to
  uint32_t retries = 0;
};

/// Jobs a worker holds at once under round robin and consistent hashing: the one it runs and
/// the next one, waiting in its mailbox. With one, a worker idled after each job until its
/// result had gone through the router and the next job came back: two thread wake-ups per job,
/// on a machine whose CPUs are all busy with jobs. With two it goes straight on; a crash still
/// loses only the job that was running. These routings bind a job to its worker when it is
/// submitted, so holding it early changes nothing else. Least loaded holds one: a job waits in
/// the router until a worker is free, and whichever is free first takes it.
constexpr size_t worker_window = 2;

/// A job sent to a worker and not answered yet, with the incarnation it went to: that one's
/// down message may come after the new incarnation's hello.
struct sent_job {
  uint64_t id;
  caf::actor_addr worker;
};

/// One worker slot: its current incarnation (null while it restarts), the jobs it holds (at
/// most the router's `window()`, oldest first: the oldest is the one running) and the jobs
/// queued for it.
struct slot_state {
  caf::actor worker;
  std::deque<sent_job> sent;
  std::deque<uint64_t> queued;

  size_t load() const noexcept { return queued.size() + sent.size(); }
};

class router final : public caf::event_based_actor {
public:
  router(caf::actor_config& cfg, troupe::system& sys, pool_options opts)
      : caf::event_based_actor(cfg), sys_(sys), opts_(opts), slots_(opts.workers) {
    for (size_t s = 0; s < slots_.size(); ++s)
      for (size_t p = 0; p < ring_points; ++p)
        ring_.emplace(mix(s * ring_points + p + 1), s);
  }

  caf::behavior make_behavior() override {
    if (auto err = start_workers()) {
      quit(std::move(err));
      return {};
    }
    set_down_handler([this](caf::down_msg& x) { on_worker_down(x); });
    set_exit_handler([this](caf::exit_msg& x) { on_exit_msg(x); });
    return {
      [this](pool::submit_atom, uint64_t key, job& j) {
        submit(pending_job{std::move(j), key, make_response_promise(), {}, 0});
      },
      [this](pool::submit_to_atom, uint64_t key, job& j, caf::actor& callback) {
        submit(pending_job{std::move(j), key, {}, std::move(callback), 0});
      },
      [this](pool::stats_atom) { return stats_; },
      [this](worker_up_atom, uint64_t slot) { on_worker_up(slot); },
    };
  }

private:
  caf::error start_workers() {
    std::vector<child_spec> children;
    for (size_t s = 0; s < slots_.size(); ++s) {
      child_spec spec;
      spec.id = "worker-" + std::to_string(s);
      spec.start = [me = caf::actor_cast<caf::weak_actor_ptr>(this),
                    s](troupe::system& sys, std::string_view) -> caf::expected<caf::actor> {
        return sys.engine().spawn<worker, caf::detached>(router_ref{me}, s);
      };
      children.push_back(std::move(spec));
    }
    supervisor_flags flags{restart_strategy::one_for_one, opts_.restart_intensity,
                           opts_.restart_period};
    auto sup = supervisor::spawn(sys_, flags, std::move(children));
    if (!sup)
      return std::move(sup.error());
    supervisor_ = sup->handle();
    link_to(supervisor_); // each ends the other: a pool without workers is stopped
    return caf::none;
  }

  void submit(pending_job pj) {
    if (stopping_) {
      fail(pj, stopped_error());
      return;
    }
    if (!pj.work.run) {
      fail(pj, make_error(pool_error::invalid_argument, "an empty job"));
      return;
    }
    ++stats_.submitted;
    auto id = ++next_id_;
    auto key = pj.key;
    jobs_.emplace(id, std::move(pj));
    dispatch(id, pick(key));
  }

  /// The slot for a job with `key`.
  size_t pick(uint64_t key) {
    switch (opts_.route) {
    case routing::round_robin:
      // Strictly in turn: a job for a worker that is (re)starting waits for it, so the
      // order does not depend on how fast the workers start.
      return next_slot_++ % slots_.size();
    case routing::least_loaded: {
      size_t best = 0;
      auto load = [&](size_t s) {
        // A restarting worker counts as busy, so that jobs go to the running ones.
        return slots_[s].load() + (slots_[s].worker ? 0 : jobs_.size() + 1);
      };
      for (size_t s = 1; s < slots_.size(); ++s)
        if (load(s) < load(best))
          best = s;
      return best;
    }
    case routing::consistent_hash: {
      auto i = ring_.lower_bound(mix(key));
      return i == ring_.end() ? ring_.begin()->second : i->second;
    }
    }
    return 0;
  }

  /// Queues job `id` for slot `s` and starts it if the worker is free.
  void dispatch(uint64_t id, size_t s) {
    slots_[s].queued.push_back(id);
    run_next(s);
  }

  void run_next(size_t s) {
    auto& slot = slots_[s];
    while (slot.worker && slot.sent.size() < window()) {
      if (slot.queued.empty() && opts_.route == routing::least_loaded)
        take_from_longest_queue(s);
      if (slot.queued.empty())
        return;
      auto id = slot.queued.front();
      slot.queued.pop_front();
      slot.sent.push_back(sent_job{id, slot.worker.address()});
      request(slot.worker, caf::infinite, run_atom::value, jobs_.at(id).work)
        .then([this, id, s](job_done& done) { finish(id, s, std::move(done.result)); },
              // The worker died with the job: its down message decides (retry or fail).
              [](caf::error&) {});
    }
  }

  /// Least loaded: a worker that comes up or falls idle takes the oldest job queued behind a
  /// busy one (a job went there while this worker was still starting, or was busier).
  void take_from_longest_queue(size_t s) {
    size_t longest = s;
    for (size_t o = 0; o < slots_.size(); ++o)
      if (slots_[o].queued.size() > slots_[longest].queued.size())
        longest = o;
    if (longest == s)
      return;
    slots_[s].queued.push_back(slots_[longest].queued.front());
    slots_[longest].queued.pop_front();
  }

  void finish(uint64_t id, size_t s, caf::message result) {
    auto& sent = slots_[s].sent;
    sent.erase(std::remove_if(sent.begin(), sent.end(), [id](auto& x) { return x.id == id; }),
               sent.end());
    auto i = jobs_.find(id);
    if (i != jobs_.end()) {
      ++stats_.completed;
      if (i->second.callback)
        send(i->second.callback, std::move(result));
      else
        i->second.reply.deliver(std::move(result));
      jobs_.erase(i);
    }
    run_next(s);
    quit_when_idle(); // a job that finished after the exit may have been the last one
  }

  void fail(pending_job& pj, caf::error err) {
    ++stats_.failed;
    if (pj.callback)
      send(pj.callback, std::move(err));
    else
      pj.reply.deliver(std::move(err));
  }

  void on_worker_up(uint64_t s) {
    if (s >= slots_.size())
      return;
    auto& slot = slots_[s];
    slot.worker = caf::actor_cast<caf::actor>(current_sender());
    monitor(slot.worker);
    run_next(s);
  }

  void on_worker_down(const caf::down_msg& x) {
    for (size_t s = 0; s < slots_.size(); ++s) {
      auto& slot = slots_[s];
      bool current = slot.worker && slot.worker.address() == x.source;
      auto held = [&](const sent_job& j) { return j.worker == x.source; };
      auto first = std::find_if(slot.sent.begin(), slot.sent.end(), held);
      if (!current && first == slot.sent.end())
        continue;
      ++stats_.crashes;
      if (current)
        slot.worker = nullptr; // until the restarted worker says hello
      if (first != slot.sent.end()) {
        // A worker runs its jobs in order and answers each before the next: the oldest job it
        // held is the one it died with; the others never started and go back to the head of
        // the queue, in order, without counting as a retry.
        auto lost = first->id;
        std::vector<uint64_t> unstarted;
        for (auto i = std::next(first); i != slot.sent.end(); ++i)
          if (held(*i))
            unstarted.push_back(i->id);
        slot.sent.erase(std::remove_if(slot.sent.begin(), slot.sent.end(), held),
                        slot.sent.end());
        if (stopping_)
          fail_stopped(unstarted);
        else
          slot.queued.insert(slot.queued.begin(), unstarted.begin(), unstarted.end());
        retry_or_fail(lost, x.reason);
        run_next(s); // the new incarnation may have said hello already
      }
      return;
    }
  }

  /// After the exit: the jobs a dead worker held but never started fail with pool_stopped.
  void fail_stopped(const std::vector<uint64_t>& ids) {
    for (auto id : ids)
      if (auto i = jobs_.find(id); i != jobs_.end()) {
        fail(i->second, stopped_error());
        jobs_.erase(i);
      }
  }

  void retry_or_fail(uint64_t id, const caf::error& reason) {
    auto i = jobs_.find(id);
    if (i == jobs_.end())
      return;
    auto& pj = i->second;
    if (stopping_) {
      bool stopped = reason == caf::exit_reason::kill || reason == caf::exit_reason::user_shutdown;
      fail(pj, stopped ? stopped_error()
                       : make_error(pool_error::worker_crashed, caf::to_string(reason)));
      jobs_.erase(i);
      quit_when_idle();
      return;
    }
    if (pj.retries < opts_.retries) {
      ++pj.retries;
      ++stats_.retried;
      dispatch(id, pick(pj.key));
      return;
    }
    auto err = reason;
    if (!is(err, pool_error::worker_crashed))
      err = make_error(pool_error::worker_crashed, caf::to_string(reason));
    fail(pj, std::move(err));
    jobs_.erase(i);
  }

  void on_exit_msg(caf::exit_msg& x) {
    // The supervisor gave up (or was stopped): every job left fails with why. A running job
    // waits for its worker's down message, which may come after this exit: the worker that
    // crashed then reports worker_crashed, those stopped with it pool_stopped.
    if (stopping_)
      return;
    stopping_ = x.reason;
    auto why = stopped_error();
    for (auto i = jobs_.begin(); i != jobs_.end();) {
      if (is_running(i->first)) {
        ++i;
        continue;
      }
      fail(i->second, why);
      i = jobs_.erase(i);
    }
    for (auto& slot : slots_)
      slot.queued.clear();
    quit_when_idle();
  }

  /// Whether job `id` is held by a worker (its down message decides how it fails).
  bool is_running(uint64_t id) const {
    for (auto& slot : slots_)
      for (auto& j : slot.sent)
        if (j.id == id)
          return true;
    return false;
  }

  /// How many jobs a worker holds at once (see `worker_window`).
  size_t window() const noexcept {
    return opts_.route == routing::least_loaded ? 1 : worker_window;
  }

  /// What a job that the stop ended fails with.
  caf::error stopped_error() const {
    return make_error(pool_error::pool_stopped, caf::to_string(*stopping_));
  }

  /// After the exit: quits once no job waits for its worker's down message.
  void quit_when_idle() {
    if (stopping_ && jobs_.empty())
      quit(*stopping_);
  }

  troupe::system& sys_;
  pool_options opts_;
  /// The workers' supervisor (a coroutine actor lives only while someone holds it).
  caf::actor supervisor_;
  std::vector<slot_state> slots_;
  std::map<uint64_t, size_t> ring_;
  std::unordered_map<uint64_t, pending_job> jobs_;
  uint64_t next_id_ = 0;
  size_t next_slot_ = 0;
  pool_stats stats_;
  /// Why the pool stops, once its supervisor's exit came.
  std::optional<caf::error> stopping_;
};

} // namespace

std::string to_string(pool_error x) {
  switch (x) {
  case pool_error::worker_crashed:
    return "worker_crashed";
  case pool_error::invalid_argument:
    return "invalid_argument";
  case pool_error::pool_stopped:
    return "pool_stopped";
  }
  return "pool_error(" + std::to_string(static_cast<int>(x)) + ")";
}

caf::error make_error(pool_error x) {
  return caf::error{static_cast<uint8_t>(x), pool_error_category};
}

caf::error make_error(pool_error x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), pool_error_category,
                    caf::make_message(std::move(context))};
}

bool is(const caf::error& err, pool_error x) noexcept {
  return err.category() == pool_error_category && err.code() == static_cast<uint8_t>(x);
}

caf::expected<worker_pool> worker_pool::spawn(troupe::system& sys, pool_options opts) {
  if (opts.workers == 0)
    return make_error(pool_error::invalid_argument, "a worker pool needs at least one worker");
  return worker_pool{sys.engine().spawn<router>(sys, opts)};
}

void worker_pool::submit_to(const caf::actor& callback, uint64_t key, job j) const {
  caf::anon_send(router_, submit_to_atom::value, key, std::move(j), callback);
}

} // namespace troupe::actors
