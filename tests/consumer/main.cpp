// A user's first troupe program: a named coroutine actor, one request to it by name and one
// Protobuf message of the consumer's own. Exits 0 and prints "consumer: round trip ok" when the
// replies are right.

#include <chrono>
#include <cstdio>
#include <string>

#include <troupe/protobuf.hpp>
#include <troupe/troupe.hpp>

#include "consumer/greeting.pb.h"

namespace {

/// Answers a request for `x` with `x + 1`, then one greeting with a longer one, then exits.
troupe::task increment(troupe::co_actor& self) {
  auto x = co_await self.receive<int>();
  self.reply(x + 1);
  auto hello = co_await self.receive<consumer::Greeting>();
  hello.set_text(hello.text() + ", world");
  self.reply(hello);
}

/// Prints `err` as the system renders it (troupe registers its error category there) and stops
/// the actors: the system's destructor waits for all of them.
int fail(troupe::system& sys, const char* what, const caf::error& err) {
  std::fprintf(stderr, "consumer: %s failed: %s\n", what, sys.engine().render(err).c_str());
  sys.shutdown();
  return 1;
}

} // namespace

int main() {
  troupe::system sys;
  if (auto spawned = sys.spawn_named("increment", increment); !spawned)
    return fail(sys, "spawn_named", spawned.error());
  // A blocking request from main: no caf::scoped_actor needed.
  auto reply = sys.request<int>("increment", std::chrono::seconds{10}, 41);
  if (!reply)
    return fail(sys, "request", reply.error());
  consumer::Greeting hello;
  hello.set_text("hello");
  auto greeting = sys.request<consumer::Greeting>("increment", std::chrono::seconds{10}, hello);
  if (!greeting)
    return fail(sys, "protobuf request", greeting.error());
  if (*reply != 42 || greeting->text() != "hello, world") {
    std::fprintf(stderr, "consumer: expected 42 and 'hello, world', got %d and '%s'\n", *reply,
                 greeting->text().c_str());
    sys.shutdown();
    return 1;
  }
  std::puts("consumer: round trip ok (41 -> 42, hello -> hello, world)");
  return 0;
}
