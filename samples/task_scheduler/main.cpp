// The round-robin task scheduler of a Python generator tutorial, as troupe actors: each task
// is a coroutine actor that runs one step per request, and a scheduler actor requests steps
// from its tasks in turn. Run with --help for the options.

#include <cstdint>
#include <deque>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

#include <caf/atom.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/system_messages.hpp>

#include <troupe/troupe.hpp>

namespace {

constexpr const char* program = "task_scheduler";

constexpr const char* description =
  "task_scheduler: a round-robin scheduler of two tasks, each a coroutine actor.\n"
  "'say_hello' counts down from --hello (\"hello~ n\"), 'say_hi' counts up from 0 to\n"
  "--hi - 1 (\"hi~ x\"); each prints \"say hello\" / \"say hi\" when it finishes. The\n"
  "scheduler takes the task at the front of its queue, requests one step from it and\n"
  "waits for the reply (done or not), then queues the task again unless it is done.\n"
  "One step at a time makes the output order fixed, the same on every run.\n"
  "\n"
  "usage: task_scheduler [--hello=N] [--hi=N] [CAF options]\n"
  "\n";

/// The sample's options, parsed by CAF from the command line or a config file.
struct scheduler_config : troupe::config {
  int32_t hello = 10;
  int32_t hi = 15;

  scheduler_config() {
    opt_group{custom_options_, "global"}
      .add(hello, "hello", "the number say_hello counts down from (default 10)")
      .add(hi, "hi", "how many numbers say_hi counts (default 15)");
  }
};

/// Asks a task to run until its next yield; the reply is true when the task has finished.
using step_atom = caf::atom_constant<caf::atom("step")>;
/// Adds a task (an actor that answers `step`) to the end of the scheduler's queue.
using new_task_atom = caf::atom_constant<caf::atom("new_task")>;
/// Tells the scheduler to run its tasks until none is left, then stop.
using run_atom = caf::atom_constant<caf::atom("run")>;

/// Prints `line` in a single write.
void print_line(std::string line) {
  line += '\n';
  std::cout << line;
}

/// Awaits the next `step` request: the counterpart of a generator's `yield`.
auto next_step(troupe::co_actor& self) {
  return self.receive<step_atom>();
}

/// sayHello(n): prints n, n-1, ..., 1, one per step, then "say hello".
troupe::task say_hello(troupe::co_actor& self, int32_t n) {
  co_await next_step(self);
  while (n > 0) {
    print_line("hello~ " + std::to_string(n));
    self.reply(false);
    co_await next_step(self);
    n -= 1;
  }
  print_line("say hello");
  self.reply(true);
}

/// sayHi(n): prints 0, 1, ..., n-1, one per step, then "say hi".
troupe::task say_hi(troupe::co_actor& self, int32_t n) {
  int32_t x = 0;
  co_await next_step(self);
  while (x < n) {
    print_line("hi~ " + std::to_string(x));
    self.reply(false);
    co_await next_step(self);
    x += 1;
  }
  print_line("say hi");
  self.reply(true);
}

/// The scheduler: collects tasks until `run`, then steps them round-robin until all are done.
troupe::task scheduler(troupe::co_actor& self) {
  std::deque<caf::actor> queue;
  for (;;) {
    auto msg = co_await self.receive<std::tuple<new_task_atom, caf::actor>, run_atom>();
    if (std::holds_alternative<run_atom>(msg))
      break;
    queue.push_back(std::get<1>(std::get<0>(msg)));
  }
  while (!queue.empty()) {
    auto task = std::move(queue.front());
    queue.pop_front();
    auto done = co_await self.request<bool>(task, step_atom::value);
    if (!done)
      throw std::runtime_error("a task did not finish its step: " +
                               self.system().engine().render(done.error()));
    if (!*done)
      queue.push_back(std::move(task));
  }
}

/// Spawns the tasks and the scheduler, as the Python original does, and waits until it ends.
int run(troupe::system& sys, const scheduler_config& cfg) {
  auto sched = sys.spawn(scheduler);
  caf::scoped_actor self{sys.engine()};
  self->monitor(sched);
  self->send(sched, new_task_atom::value, sys.spawn(say_hello, cfg.hello));
  self->send(sched, new_task_atom::value, sys.spawn(say_hi, cfg.hi));
  self->send(sched, run_atom::value);
  caf::error failure;
  self->receive([&](caf::down_msg& down) { failure = std::move(down.reason); });
  if (failure) {
    std::cerr << program << ": the scheduler failed: " << sys.engine().render(failure) << "\n";
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  scheduler_config cfg;
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return *code;
  troupe::system sys{cfg};
  auto code = run(sys, cfg);
  // After a failure, actors may wait for messages that never come: stop them. This waits for
  // every actor, so it must run after run()'s scoped_actor is gone (it counts as one).
  if (code != 0)
    sys.shutdown();
  return code;
}
