#include "troupe/testing/deterministic_system.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <random>
#include <unordered_map>

#include <caf/actor_registry.hpp>
#include <caf/atom.hpp>
#include <caf/detail/test_actor_clock.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <caf/actor_cast.hpp>

#include "troupe/co_actor.hpp"
#include "troupe/registry.hpp"
#include "troupe/task.hpp"

namespace troupe::testing {

namespace {

/// Switches `cfg` to CAF's deterministic scheduler, whose clock is virtual.
troupe::config& on_test_scheduler(troupe::config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  return cfg;
}

troupe::task sink_body(troupe::co_actor& self) {
  for (;;)
    (void)co_await self.receive<caf::message>();
}

} // namespace

struct deterministic_system::state {
  caf::scheduler::test_coordinator* sched = nullptr;
  /// The system's registry, for lookups from const members.
  const troupe::registry* names = nullptr;
  std::mt19937_64 rng;
  caf::actor_clock::time_point start;
  std::unordered_map<caf::actor_id, std::vector<caf::message>> log;
};

deterministic_system::deterministic_system(std::optional<uint64_t> seed)
    : deterministic_system(owned_settings, seed) {}

deterministic_system::deterministic_system(troupe::config& cfg, std::optional<uint64_t> seed)
    : troupe::system(on_test_scheduler(cfg)), seed_(seed), state_(std::make_unique<state>()) {
  state_->names = &registry();
  state_->sched = &dynamic_cast<caf::scheduler::test_coordinator&>(engine().scheduler());
  state_->rng.seed(seed.value_or(0));
  state_->start = state_->sched->clock().now();
}

deterministic_system::~deterministic_system() {
  shutdown();
  // Every coroutine and named actor has exited; an actor the test spawned through CAF and
  // left running would block the system's destructor forever: say so instead.
  if (auto left = engine().registry().running(); left > 0) {
    std::fprintf(stderr,
                 "troupe::testing::deterministic_system: %zu actor(s) still running at the end "
                 "of the test; stop plain CAF actors before the system goes\n",
                 left);
    std::terminate();
  }
}

void deterministic_system::record_next(size_t job_index) {
  auto& jobs = state_->sched->jobs;
  auto* actor = dynamic_cast<caf::scheduled_actor*>(jobs[job_index]);
  if (actor == nullptr)
    return;
  if (auto* next = actor->mailbox().peek())
    state_->log[actor->id()].push_back(caf::message::copy(next->content()));
}

bool deterministic_system::run_one() {
  auto& jobs = state_->sched->jobs;
  if (jobs.empty())
    return false;
  size_t pick = 0;
  if (seed_ && jobs.size() > 1) {
    pick = static_cast<size_t>(state_->rng() % jobs.size());
    std::rotate(jobs.begin(), jobs.begin() + static_cast<std::ptrdiff_t>(pick),
                jobs.begin() + static_cast<std::ptrdiff_t>(pick) + 1);
  }
  record_next(0);
  return state_->sched->try_run_once();
}

size_t deterministic_system::run(size_t limit) {
  size_t steps = 0;
  while (steps < limit && run_one())
    ++steps;
  return steps;
}

size_t deterministic_system::ready() const noexcept {
  return state_->sched->jobs.size();
}

size_t deterministic_system::advance_time(caf::timespan d) {
  return state_->sched->advance_time(d);
}

bool deterministic_system::fire_next_timer() {
  return state_->sched->trigger_timeout();
}

bool deterministic_system::has_pending_timers() const noexcept {
  return state_->sched->has_pending_timeout();
}

caf::timespan deterministic_system::elapsed() const noexcept {
  return state_->sched->clock().now() - state_->start;
}

std::vector<caf::message> deterministic_system::received(const caf::actor& who) const {
  if (!who)
    return {};
  auto i = state_->log.find(who.id());
  return i != state_->log.end() ? i->second : std::vector<caf::message>{};
}

std::vector<caf::message> deterministic_system::received(std::string_view name) const {
  auto who = caf::actor_cast<caf::actor>(state_->names->find(name));
  return who ? received(who) : std::vector<caf::message>{};
}

caf::actor deterministic_system::sink() {
  return spawn(sink_body);
}

void deterministic_system::shutdown() {
  begin_shutdown();
  // Timers of exited actors are delivered and dropped. Only a plain CAF actor that re-arms a
  // timer forever could keep this going: the bound ends it, and the destructor reports it.
  constexpr int max_timer_rounds = 100'000;
  int rounds = 0;
  do
    run();
  while (++rounds < max_timer_rounds && fire_next_timer());
  end_shutdown();
}

} // namespace troupe::testing
