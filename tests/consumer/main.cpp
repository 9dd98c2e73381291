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

} // namespace

int main() {
  troupe::system sys;
  if (auto spawned = sys.spawn_named("increment", increment); !spawned) {
    std::fprintf(stderr, "consumer: spawn_named failed: %s\n", to_string(spawned.error()).c_str());
    return 1;
  }
  auto dest = sys.lookup("increment");
  if (!dest) {
    std::fprintf(stderr, "consumer: lookup failed: %s\n", to_string(dest.error()).c_str());
    return 1;
  }
  int reply = 0;
  caf::scoped_actor self{sys.engine()};
  self->request(*dest, std::chrono::seconds{10}, 41)
    .receive([&](int y) { reply = y; },
             [](caf::error& err) {
               std::fprintf(stderr, "consumer: request failed: %s\n", to_string(err).c_str());
             });
  if (reply != 42) {
    std::fprintf(stderr, "consumer: expected 42, got %d\n", reply);
    return 1;
  }
  std::puts("consumer: round trip ok (41 -> 42)");
  return 0;
}
