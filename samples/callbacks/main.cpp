// The callback programs of a Python tutorial, as actors: a caller that calls back a callee, a
// handle that composes a function with a notifier, and `apply_async(func, args, callback=...)`
// whose results go to a counting handler (a generator there, a coroutine actor here). Each part
// finishes before the next starts, so the lines come in the original's order. Run with --help.

#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include <caf/atom.hpp>

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
/// `send` resumes; a coroutine actor here, which each message resumes.
troupe::task make_handler(troupe::co_actor& self) {
  int counter = 0;
  for (;;) {
    auto result = co_await self.receive<int>();
    counter += 1;
    print_line("counter = " + std::to_string(counter) + " result: " + std::to_string(result));
    self.reply();
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

int run(troupe::system& sys) {
  auto callee = sys.spawn(demo_callback);
  if (!run_part(sys, sys.spawn(caller, std::string{"I am callee."}, callee), go_atom::value))
    return 1;
  auto notifier = sys.spawn(notify);
  if (!run_part(sys, sys.spawn(demo_handle, std::string{"add"}, 3, 5, notifier),
                go_atom::value))
    return 1;
  for (auto [x1, y1, x2, y2] : {std::tuple{3, 5, 3, 5}, std::tuple{2, 3, 4, 6}}) {
    auto handle = sys.spawn(make_handler);
    auto async = sys.spawn(executor, handle);
    if (!run_part(sys, async, std::string{"add"}, x1, y1) ||
        !run_part(sys, async, std::string{"times"}, x2, y2))
      return 1;
  }
  return 0;
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
