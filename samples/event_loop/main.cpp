// The event loop of a Python asyncio tutorial: `call_soon(function_4)` starts a chain in which
// each function prints its name and, while the end time is more than one tick away, asks the
// loop to `call_later` the next one (4 -> 1 -> 2 -> 3 -> 1 ...). The loop is a coroutine actor:
// it waits for the next timer with a timed receive, so it holds no thread meanwhile, and other
// actors could post work to it. Run with --help for the options.

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <queue>
#include <string>
#include <vector>

#include <caf/atom.hpp>

#include <troupe/troupe.hpp>

namespace {

constexpr const char* description =
  "event_loop: the Python tutorial's call_soon / call_later chain. function_4 runs first,\n"
  "then function_1, 2, 3, 1, ... one tick apart, each printing 'function_N called' and\n"
  "scheduling the next while loop.time() + 1 tick < the end time (9 ticks after the start).\n"
  "With a tick of 1s it takes as long as the original; the default tick is 10ms. The loop's\n"
  "time() is the time the running callback was due, so the nine lines are the same however\n"
  "late a busy machine wakes the loop (Python reads its monotonic clock, which can cut the\n"
  "chain short when a wake-up comes late).\n"
  "\n"
  "usage: event_loop [--tick=DURATION] [--ticks=N] [CAF options]\n"
  "\n";

struct event_loop_config : troupe::config {
  caf::timespan tick = std::chrono::milliseconds{10};
  int32_t ticks = 9;

  event_loop_config() {
    opt_group{custom_options_, "global"}
      .add(tick, "tick", "the length of the original's one second (default 10ms; 1s as in Python)")
      .add(ticks, "ticks", "the end time, in ticks after the start (default 9)");
  }
};

/// Stops the loop from outside (another actor); the chain itself stops it with `stop()`.
using stop_atom = caf::atom_constant<caf::atom("stop")>;

/// An asyncio-style loop of timers: callbacks see `time`, `call_soon`, `call_later` and `stop`
/// (time counted in ticks); the actor that owns it runs the earliest timer when it is due.
class loop_handle {
public:
  using callback = std::function<void(loop_handle&)>;

  /// The time (in ticks since the start) at which the running callback was due.
  double time() const noexcept { return now_; }
  /// Runs `f` as soon as the callbacks due before it have run.
  void call_soon(callback f) { call_later(0.0, std::move(f)); }
  /// Runs `f` `delay` ticks after the running callback's due time.
  void call_later(double delay, callback f) {
    timers_.push(timer{now_ + delay, seq_++, std::move(f)});
  }
  /// Ends the loop after the running callback; pending timers are dropped, as in asyncio.
  void stop() noexcept { stopped_ = true; }

  /// Whether the loop has nothing more to run.
  bool done() const noexcept { return stopped_ || timers_.empty(); }
  /// When the earliest timer is due, in ticks since the start.
  double next_due() const { return timers_.top().due; }
  /// Runs the earliest timer.
  void run_next() {
    auto next = timers_.top();
    timers_.pop();
    now_ = next.due;
    next.f(*this);
  }

private:
  struct timer {
    double due;
    uint64_t seq; // timers due at the same time run in the order they were scheduled
    callback f;
    bool operator>(const timer& other) const {
      return due != other.due ? due > other.due : seq > other.seq;
    }
  };

  std::priority_queue<timer, std::vector<timer>, std::greater<>> timers_;
  double now_ = 0.0;
  uint64_t seq_ = 0;
  bool stopped_ = false;
};

/// The loop as an actor: waits for the earliest timer with a timed receive (no thread is held
/// meanwhile, and a `stop` message ends it at once), then runs it.
troupe::task event_loop(troupe::co_actor& self, caf::timespan tick, int32_t ticks);

void print_line(std::string line) {
  line += '\n';
  std::cout << line;
}

/// function_N of the original: print, then call `then` one tick later or stop.
loop_handle::callback chain(int n, double end_time);

loop_handle::callback chain_step(int n, int then, double end_time) {
  return [n, then, end_time](loop_handle& loop) {
    print_line("function_" + std::to_string(n) + " called");
    if (loop.time() + 1.0 < end_time)
      loop.call_later(1.0, chain(then, end_time));
    else
      loop.stop();
  };
}

loop_handle::callback chain(int n, double end_time) {
  // function_4 and function_3 hand over to function_1; 1 to 2; 2 to 3.
  int then = n == 1 ? 2 : n == 2 ? 3 : 1;
  return chain_step(n, then, end_time);
}

troupe::task event_loop(troupe::co_actor& self, caf::timespan tick, int32_t ticks) {
  loop_handle loop;
  double end_time = loop.time() + ticks;
  loop.call_soon(chain(4, end_time));
  auto start = std::chrono::steady_clock::now();
  while (!loop.done()) {
    auto due = start + std::chrono::duration_cast<caf::timespan>(loop.next_due() * tick);
    auto wait = due - std::chrono::steady_clock::now();
    if (wait > caf::timespan::zero()) {
      if (auto stop = co_await self.receive<stop_atom>(wait))
        co_return;
    }
    loop.run_next();
  }
}

} // namespace

int main(int argc, char** argv) {
  event_loop_config cfg;
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return *code;
  if (cfg.tick <= caf::timespan::zero() || cfg.ticks < 0) {
    std::cerr << "event_loop: invalid argument: --tick must be above 0 and --ticks at least 0;"
                 " see --help\n";
    return 2;
  }
  troupe::system sys{cfg};
  sys.spawn(event_loop, cfg.tick, cfg.ticks);
}
