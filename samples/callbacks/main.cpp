// The callback programs of a Python tutorial, as actors: a caller that calls back a callee, a
// handle that composes a function with a notifier, and `apply_async(func, args, callback=...)`
// whose results go to a counting handler (a generator there, a coroutine actor here); then the
// same apply_async calls through troupe::actors::worker_pool with the handler as the callback.
// Each part finishes before the next starts, so the lines come in the original's order. Run
// with --help.

#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <caf/atom.hpp>

#include <caf/scoped_actor.hpp>

#include <troupe/actors/worker_pool.hpp>
#include <troupe/troupe.hpp>

namespace {

constexpr const char* description =
  "callbacks: the Python tutorial's callback examples as actors, printing the original's\n"
  "lines in its order:\n"
  "  caller('I am callee.', demo_callback)     a caller actor calls back a callee actor\n"
  "  demo_handle(add, (3, 5), callback=notify) a handle actor composes add with notify\n"
  "  apply_async(add / times, (3, 5), callback=handle)\n"
  "                                            an executor actor runs the function and sends\n"
  "                                            the result to a counting handler coroutine\n"
  "  apply_handler(add (2, 3) / times (4, 6), callback=handler)\n"
  "                                            the same with a fresh handler (its own count)\n"
  "then the same four calls through a troupe::actors::worker_pool of 2 worker threads, the\n"
  "handler as each job's callback (apply_async_to): the same four lines again.\n"
  "\n"
  "usage: callbacks [CAF options]\n"
  "\n";

using namespace std::chrono_literals;

/// Starts one part of the program; its reply says the part has printed everything.
using go_atom = caf::atom_constant<caf::atom("go")>;

void print_line(std::string line) {
  line += '\n';
  std::cout << line;
}

/// The functions the examples apply, by the name the notifier prints (`func.__name__`).
int apply(const std::string& func, int x, int y) {
  static const std::map<std::string, std::function<int(int, int)>> functions{
    {"add", [](int a, int b) { return a + b; }},
    {"times", [](int a, int b) { return a * b; }},
  };
  return functions.at(func)(x, y);
}

// -- caller('I am callee.', demo_callback) ---------------------------------------------------

troupe::task demo_callback(troupe::co_actor& self) {
  auto st = co_await self.receive<std::string>();
  print_line(st);
  self.reply();
}

troupe::task caller(troupe::co_actor& self, std::string args, caf::actor func) {
  (void) co_await self.receive<go_atom>();
  auto done = self.take_reply_promise();
  print_line("Caller: Do something.");
  (void) co_await self.request<>(func, 5s, std::move(args)); // func(args)
  done.deliver(caf::unit);
}

// -- demo_handle(add, (3, 5), callback=notify) -----------------------------------------------

troupe::task notify(troupe::co_actor& self) {
  auto [result, frm] = co_await self.receive<std::tuple<int, std::string>>();
  print_line("Call function " + frm + " result = " + std::to_string(result));
  self.reply();
}

troupe::task demo_handle(troupe::co_actor& self, std::string func, int x, int y,
                         caf::actor callback) {
  (void) co_await self.receive<go_atom>();
  auto done = self.take_reply_promise();
  (void) co_await self.request<>(callback, 5s, apply(func, x, y), func);
  done.deliver(caf::unit);
}

// -- apply_async(func, args, callback=handle) -------------------------------------------------

/// make_handler(): counts the results it is sent and prints each. A generator there, which
/// `send` resumes; a coroutine actor here, which each message resumes. It answers a request
/// once it printed, and tells `printed` (if any) too: a result sent by the worker pool is no
/// request, and the caller waits for each line to keep the original's order.
troupe::task make_handler(troupe::co_actor& self, caf::actor printed) {
  int counter = 0;
  for (;;) {
    auto result = co_await self.receive<int>();
    counter += 1;
    print_line("counter = " + std::to_string(counter) + " result: " + std::to_string(result));
    self.reply();
    if (printed)
      self.send(printed, go_atom::value);
  }
}

/// Runs each (func, x, y) it receives and sends the result to `callback`, one at a time, so
/// results reach the handler in the order the calls were made.
troupe::task executor(troupe::co_actor& self, caf::actor callback) {
  for (;;) {
    auto [func, x, y] = co_await self.receive<std::tuple<std::string, int, int>>();
    auto done = self.take_reply_promise();
    (void) co_await self.request<>(callback, 5s, apply(func, x, y));
    done.deliver(caf::unit);
  }
}

/// Runs one part: sends `go` (or the calls) and waits until the part replied.
template <class... Ts>
bool run_part(troupe::system& sys, const caf::actor& part, Ts&&... xs) {
  auto done = sys.request<>(part, 5s, std::forward<Ts>(xs)...);
  if (!done)
    std::cerr << "callbacks: a part failed: " << sys.engine().render(done.error()) << "\n";
  return static_cast<bool>(done);
}

// -- the same through the worker pool ---------------------------------------------------------

/// The calls of the two apply_async cells: (func, x, y) each, a fresh handler per cell.
using calls = std::vector<std::tuple<std::string, int, int>>;

/// Each cell's calls run as jobs of a worker pool whose callback is the cell's handler.
int run_on_pool(troupe::system& sys, const std::vector<calls>& cells) {
  auto pool = troupe::actors::worker_pool::spawn(sys, troupe::actors::pool_options{2});
  if (!pool) {
    std::cerr << "callbacks: no worker pool: " << sys.engine().render(pool.error()) << "\n";
    return 1;
  }
  print_line("the same through the worker pool:");
  caf::scoped_actor self{sys.engine()};
  for (auto& cell : cells) {
    auto handle = sys.spawn(make_handler, caf::actor{self});
    for (auto& [func, x, y] : cell) {
      pool->apply_async_to(handle, apply, func, x, y); // apply_async(func, args, callback=handle)
      bool printed = false;
      self->receive([&](go_atom) { printed = true; }, caf::after(5s) >> [] {});
      if (!printed) {
        std::cerr << "callbacks: the handler printed no result of " << func << " in time\n";
        return 1;
      }
    }
  }
  return 0;
}

int run(troupe::system& sys) {
  auto callee = sys.spawn(demo_callback);
  if (!run_part(sys, sys.spawn(caller, std::string{"I am callee."}, callee), go_atom::value))
    return 1;
  auto notifier = sys.spawn(notify);
  if (!run_part(sys, sys.spawn(demo_handle, std::string{"add"}, 3, 5, notifier),
                go_atom::value))
    return 1;
  const std::vector<calls> cells{{{"add", 3, 5}, {"times", 3, 5}},
                                  {{"add", 2, 3}, {"times", 4, 6}}};
  for (auto& cell : cells) {
    auto handle = sys.spawn(make_handler, caf::actor{});
    auto async = sys.spawn(executor, handle);
    for (auto& [func, x, y] : cell)
      if (!run_part(sys, async, func, x, y))
        return 1;
  }
  return run_on_pool(sys, cells);
}

} // namespace

int main(int argc, char** argv) {
  troupe::config cfg;
  if (auto code = cfg.parse_command_line(argc, argv, description))
    return *code;
  troupe::system sys{cfg};
  auto code = run(sys);
  sys.shutdown(); // the handlers and executors wait for more work forever
  return code;
}
