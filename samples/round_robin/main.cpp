// The three generator round-robin schedulers of a Python tutorial (RoundRobin,
// PrimitiveRoundRobin, SophisticatedRoundRobin), as troupe actors: each task is a coroutine
// actor that runs one step per request, and the scheduler is a coroutine actor that keeps the
// original's list and its exact iteration rules. Run with --help for the options.

#include <cstdint>
#include <deque>
#include <iostream>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <caf/atom.hpp>

#include <troupe/troupe.hpp>

namespace {

constexpr const char* description =
  "round_robin: the Python tutorial's three round-robin schedulers of two generator tasks,\n"
  "with each task a coroutine actor that runs one step per request.\n"
  "  --scheduler=simple         RoundRobin: a for loop over the task list, removing a task\n"
  "                             when it finishes (as Python's list iteration does, the task\n"
  "                             after a removed one waits for the next round)\n"
  "  --scheduler=primitive      PrimitiveRoundRobin: each handle appends itself to the\n"
  "                             waiting list it is iterated from after every step\n"
  "  --scheduler=sophisticated  SophisticatedRoundRobin: a FIFO queue; a task's first step\n"
  "                             reports the time it needs, and its slice is int(need *\n"
  "                             --priority). A slice that rounds down to 0 is run as 1: the\n"
  "                             original then loops forever, never making progress.\n"
  "Task 1 needs --task1 units (12) in steps of --dur1 (6), task 2 needs --task2 (11) in\n"
  "steps of --dur2 (3) under the first two schedulers. With the defaults, each scheduler\n"
  "prints exactly the lines of its Python original.\n"
  "\n"
  "usage: round_robin [--scheduler=simple|primitive|sophisticated] [--task1=N] [--task2=N]\n"
  "                   [--dur1=N] [--dur2=N] [--priority=X] [CAF options]\n"
  "\n";

struct round_robin_config : troupe::config {
  std::string scheduler = "simple";
  int32_t task1 = 12;
  int32_t task2 = 11;
  int32_t dur1 = 6;
  int32_t dur2 = 3;
  double priority = 0.5;

  round_robin_config() {
    opt_group{custom_options_, "global"}
      .add(scheduler, "scheduler", "simple, primitive or sophisticated (default simple)")
      .add(task1, "task1", "units of time task 1 needs (default 12)")
      .add(task2, "task2", "units of time task 2 needs (default 11)")
      .add(dur1, "dur1", "units task 1 does per step, simple and primitive (default 6)")
      .add(dur2, "dur2", "units task 2 does per step, simple and primitive (default 3)")
      .add(priority, "priority", "sophisticated: slice = int(need * priority) (default 0.5)");
  }
};

/// `next(gen)`: run to the next yield. With an int32, `gen.send(slice)`.
using step_atom = caf::atom_constant<caf::atom("step")>;

/// A step's reply: whether the generator finished (StopIteration), and the value it yielded.
using step_reply = std::tuple<bool, int32_t>;

void print_line(std::string line) {
  line += '\n';
  std::cout << line;
}

/// task1 / task2 of RoundRobin and PrimitiveRoundRobin: `need` counts down by `dur` per step.
troupe::task countdown(troupe::co_actor& self, int32_t number, int32_t need, int32_t dur) {
  auto label = std::to_string(number);
  (void) co_await self.receive<step_atom>();
  while (need > 0) {
    need -= dur;
    print_line("Task" + label + " need: " + std::to_string(need));
    self.reply(false, need); // yield
    (void) co_await self.receive<step_atom>();
  }
  print_line("Task " + label + " Finished");
  self.reply(true, 0); // StopIteration
}

/// task1 / task2 of SophisticatedRoundRobin: yields the time it still needs and is sent the
/// slice it may run for (None, i.e. a plain step, counts as 0).
troupe::task sliced(troupe::co_actor& self, int32_t number, int32_t need) {
  auto label = std::to_string(number);
  (void) co_await self.receive<step_atom, std::tuple<step_atom, int32_t>>();
  while (need > 0) {
    self.reply(false, need); // timeSlice = yield timeN
    auto sent = co_await self.receive<step_atom, std::tuple<step_atom, int32_t>>();
    auto* with_slice = std::get_if<std::tuple<step_atom, int32_t>>(&sent);
    int32_t slice = with_slice != nullptr ? std::get<1>(*with_slice) : 0;
    need -= slice;
    print_line("Task" + label + " need: " + std::to_string(need) +
               " and Time slice =  " + std::to_string(slice));
  }
  self.reply(true, 0);
}

/// One step of `task`: its reply, or finished when it has exited (a generator that is already
/// exhausted raises StopIteration again).
template <class... Ts>
auto step(troupe::co_actor& self, const caf::actor& task, Ts... xs)
  -> troupe::co_actor::request_awaiter<bool, int32_t> {
  return self.request<bool, int32_t>(task, step_atom::value, xs...);
}

bool finished(const caf::expected<step_reply>& reply) {
  return !reply || std::get<0>(*reply);
}

/// RoundRobin: `for p in tls: next(p)`, removing finished tasks from the list being iterated.
troupe::task simple(troupe::co_actor& self, std::vector<caf::actor> tls) {
  while (!tls.empty()) {
    // Python's list iterator reads the index and the length anew at each turn.
    for (size_t i = 0; i < tls.size(); ++i) {
      auto reply = co_await step(self, tls[i]);
      if (finished(reply))
        tls.erase(tls.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  print_line("All finished! 可以歇一会了");
}

/// PrimitiveRoundRobin: each handle appends itself to the list being iterated after a step;
/// a finished one is removed where it first appears.
troupe::task primitive(troupe::co_actor& self, std::vector<caf::actor> waiting) {
  while (!waiting.empty()) {
    for (size_t i = 0; i < waiting.size(); ++i) {
      auto p = waiting[i];
      auto reply = co_await step(self, p);
      if (!finished(reply)) {
        waiting.push_back(p);
        continue;
      }
      waiting.erase(std::find(waiting.begin(), waiting.end(), p));
    }
  }
  print_line("All finished! 可以休息一会了");
}

/// SophisticatedRoundRobin: a FIFO queue of handles, each with its time slice.
troupe::task sophisticated(troupe::co_actor& self, std::vector<caf::actor> tasks,
                           double priority) {
  struct handle {
    caf::actor task;
    std::string name;
    int32_t slice = 0;
  };
  std::deque<handle> waiting;
  for (size_t i = 0; i < tasks.size(); ++i)
    waiting.push_back(handle{tasks[i], "task" + std::to_string(i + 1)});
  while (!waiting.empty()) {
    auto p = std::move(waiting.front());
    waiting.pop_front();
    auto reply = p.slice == 0 ? co_await step(self, p.task) : co_await step(self, p.task, p.slice);
    if (finished(reply)) {
      print_line(p.name + " finished");
      continue;
    }
    if (p.slice == 0) {
      auto need = std::get<1>(*reply);
      // The original keeps a slice of 0 and asks for the need again forever: run it as 1.
      p.slice = std::max<int32_t>(1, static_cast<int32_t>(need * priority));
    }
    waiting.push_back(std::move(p));
  }
  print_line("All finished! 可以休息一会了");
}

} // namespace

int main(int argc, char** argv) {
  round_robin_config cfg;
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return *code;
  auto kind = cfg.scheduler;
  if (kind != "simple" && kind != "primitive" && kind != "sophisticated") {
    std::cerr << "round_robin: invalid argument '--scheduler=" << kind
              << "' (simple, primitive or sophisticated); see --help\n";
    return 2;
  }
  if (!(cfg.priority > 0.0)) {
    std::cerr << "round_robin: invalid argument '--priority=" << cfg.priority
              << "' (must be above 0); see --help\n";
    return 2;
  }
  troupe::system sys{cfg};
  std::vector<caf::actor> tasks;
  if (kind == "sophisticated") {
    tasks = {sys.spawn(sliced, 1, cfg.task1), sys.spawn(sliced, 2, cfg.task2)};
    sys.spawn(sophisticated, tasks, cfg.priority);
  } else {
    tasks = {sys.spawn(countdown, 1, cfg.task1, cfg.dur1),
             sys.spawn(countdown, 2, cfg.task2, cfg.dur2)};
    if (kind == "simple")
      sys.spawn(simple, tasks);
    else
      sys.spawn(primitive, tasks);
  }
  tasks.clear();
} // ~system waits until the scheduler and its tasks are done
