// A user's first troupe program: a named coroutine actor and one request to it by name.
// Exits 0 and prints "consumer: round trip ok" when the reply is right.

#include <chrono>
#include <cstdio>

#include <caf/scoped_actor.hpp>

#include <troupe/troupe.hpp>

namespace {

/// Answers one request for `x` with `x + 1`, then exits.
troupe::task increment(troupe::co_actor& self) {
  auto x = co_await self.receive<int>();
  self.reply(x + 1);
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
  auto dest = sys.lookup("increment");
  if (!dest)
    return fail(sys, "lookup", dest.error());
  int reply = 0;
  caf::error request_error;
  {
    // Scoped: a live scoped_actor counts as a running actor, so fail()'s shutdown would wait
    // for it forever.
    caf::scoped_actor self{sys.engine()};
    self->request(*dest, std::chrono::seconds{10}, 41)
      .receive([&](int y) { reply = y; },
               [&](caf::error& err) { request_error = std::move(err); });
  }
  if (request_error)
    return fail(sys, "request", request_error);
  if (reply != 42) {
    std::fprintf(stderr, "consumer: expected 42, got %d\n", reply);
    sys.shutdown();
    return 1;
  }
  std::puts("consumer: round trip ok (41 -> 42)");
  return 0;
}
